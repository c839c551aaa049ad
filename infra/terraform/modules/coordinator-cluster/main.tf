# Everything each coordinator host needs, as data: per-voter environment
# (every flag has a VELTRIX_<FLAG> variable), the shared secrets, the hardened
# systemd unit and the cloud-init user data that mounts the data volume,
# writes it all and starts the service.

locals {
  scheme = var.tls == null ? "http" : "https"

  # -join names a voter that bootstraps (there is always one: at most one
  # voter joins, and there are at least three).
  join_target = [for v in var.voters : v if !v.join][0]
  peers       = join(",", [for v in var.voters : "${v.id}=${v.address}:${var.raft_port}" if !v.join])

  # One voter per host in production; the per-id names also let several
  # voters share one machine (examples/local).
  paths = { for v in var.voters : v.id => {
    env_file         = "${var.config_dir}/coordinator-${v.id}.env"
    edge_credentials = "${var.config_dir}/edge-credentials"
    secrets_env_file = "${var.config_dir}/coordinator-secrets.env"
    unit             = "/etc/systemd/system/veltrix-coordinator.service"
    data_dir         = "${var.data_root}/${v.id}"
  } }

  common_env = merge(
    {
      VELTRIX_SIGNING_KEY = var.signing_key_path
      VELTRIX_LOG_LEVEL   = var.log_level
    },
    { VELTRIX_EDGE_CREDENTIALS = "${var.config_dir}/edge-credentials" }, # re-read on SIGHUP and on change
    var.log_store == null ? {} : { VELTRIX_LOG_STORE = var.log_store },
    var.tls == null ? {} : { VELTRIX_TLS_CERT = var.tls.cert_path, VELTRIX_TLS_KEY = var.tls.key_path },
    try(var.tls.client_ca_path, null) == null ? {} : { VELTRIX_TLS_CLIENT_CA = var.tls.client_ca_path },
    try(var.tls.ca_path, null) == null ? {} : { SSL_CERT_FILE = var.tls.ca_path },
    var.raft_timeouts.heartbeat == null ? {} : { VELTRIX_HEARTBEAT_TIMEOUT = var.raft_timeouts.heartbeat },
    var.raft_timeouts.election == null ? {} : { VELTRIX_ELECTION_TIMEOUT = var.raft_timeouts.election },
    var.raft_timeouts.leader_lease == null ? {} : { VELTRIX_LEADER_LEASE_TIMEOUT = var.raft_timeouts.leader_lease },
    var.snapshot_threshold == null ? {} : { VELTRIX_SNAPSHOT_THRESHOLD = tostring(var.snapshot_threshold) },
  )

  env = { for v in var.voters : v.id => merge(local.common_env,
    {
      VELTRIX_RAFT_TLS_CERT = replace(var.raft_tls.cert_path, "{id}", v.id)
      VELTRIX_RAFT_TLS_KEY  = replace(var.raft_tls.key_path, "{id}", v.id)
      VELTRIX_RAFT_TLS_CA   = replace(var.raft_tls.ca_path, "{id}", v.id)
    },
    var.raft_tls.peer_name == null ? {} : { VELTRIX_RAFT_TLS_NAME = var.raft_tls.peer_name },
    {
      VELTRIX_ID            = v.id
      VELTRIX_DATA_DIR      = local.paths[v.id].data_dir
      VELTRIX_RAFT_ADDR     = "${v.address}:${var.raft_port}"
      VELTRIX_API_ADDR      = "${var.api_bind_all ? "0.0.0.0" : v.address}:${var.api_port}"
      VELTRIX_ADVERTISE_API = "${v.address}:${var.api_port}"
    },
    # -bootstrap is ignored once the data directory holds raft state, so a
    # restarted voter never bootstraps twice.
    v.join ? { VELTRIX_JOIN = "${local.scheme}://${local.join_target.address}:${var.api_port}" } : { VELTRIX_BOOTSTRAP = "true", VELTRIX_PEERS = local.peers },
  ) }

  env_file = { for id, e in local.env : id => join("", [for k in sort(keys(e)) : "${k}=${e[k]}\n"]) }

  flags = { for id, e in local.env : id => [for k in sort(keys(e)) :
    (k == "VELTRIX_BOOTSTRAP" ? "-bootstrap" : "-${replace(lower(trimprefix(k, "VELTRIX_")), "_", "-")}=${e[k]}") if startswith(k, "VELTRIX_")
  ] }

  secrets_env_file = "VELTRIX_ADMIN_TOKEN=${var.admin_token}\n"

  # Per-edge credentials: the tokens' SHA-256 only (not secret: the tokens
  # are long and random), the same file on every voter.
  edge_credentials = nonsensitive(join("", [for id in sort(keys(var.edge_tokens)) : "${id} ${sha256(var.edge_tokens[id])}\n"]))

  systemd_unit = { for v in var.voters : v.id => templatefile("${path.module}/templates/veltrix-coordinator.service.tftpl", {
    id               = v.id
    user             = var.service_user
    binary           = var.binary_path
    env_file         = local.paths[v.id].env_file
    secrets_env_file = local.paths[v.id].secrets_env_file
    data_dir         = local.paths[v.id].data_dir
    stop_timeout     = var.stop_timeout_seconds
  }) }

  files = { for v in var.voters : v.id => {
    (local.paths[v.id].env_file)         = { content = local.env_file[v.id], permissions = "0644" }
    (local.paths[v.id].unit)             = { content = local.systemd_unit[v.id], permissions = "0644" }
    (local.paths[v.id].edge_credentials) = { content = local.edge_credentials, permissions = "0644" }
  } }
  secret_files = merge(
    { "${var.config_dir}/coordinator-secrets.env" = { content = local.secrets_env_file, permissions = "0600" } },
    var.signing_key_pem == null ? {} : { (var.signing_key_path) = { content = var.signing_key_pem, permissions = "0640" } },
  )

  mount_script = { for v in var.voters : v.id => var.data_volume == null ? [] : [["sh", "-c", templatefile("${path.module}/templates/mount-data.sh.tftpl", {
    device      = coalesce(v.data_device, var.data_volume.device)
    mount_point = var.data_root
    fs_type     = var.data_volume.fs_type
  })]] }

  install_binary = var.release == null ? [] : [[
    "sh", "-c",
    "set -e; curl -fsSL --retry 5 -o '${var.binary_path}.new' '${var.release.url}'; echo '${var.release.sha256}  ${var.binary_path}.new' | sha256sum -c -; install -m 0755 '${var.binary_path}.new' '${var.binary_path}'; rm -f '${var.binary_path}.new'",
  ]]

  user_data = { for v in var.voters : v.id => "#cloud-config\n${yamlencode({
    users = [{ name = var.service_user, system = true, shell = "/usr/sbin/nologin", no_create_home = true }]
    write_files = [for p, f in merge(local.files[v.id], local.secret_files) : {
      path        = p
      owner       = "root:root"
      permissions = f.permissions
      encoding    = "b64"
      content     = base64encode(f.content)
    }]
    runcmd = concat(
      local.mount_script[v.id],
      [["install", "-d", "-o", var.service_user, "-g", var.service_user, "-m", "0700", local.paths[v.id].data_dir]],
      var.signing_key_pem == null ? [] : [["chgrp", var.service_user, var.signing_key_path]],
      local.install_binary,
      [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "veltrix-coordinator.service"]],
    )
  })}" }
}
