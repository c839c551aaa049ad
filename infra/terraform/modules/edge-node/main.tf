# Everything one edge host needs, as data: the environment the binary reads
# (every flag has a VELTRIX_EDGE_<FLAG> variable), the hardened systemd unit,
# kernel and limit tuning for a million connections, and the cloud-init user
# data that writes all of it and starts the service.

locals {
  listen = "${var.listen_host}:${var.port}"

  # Ports kept out of the ephemeral range: the edge's, and its NATS routes'.
  reserved_ports = concat(var.port >= 1024 ? [tostring(var.port)] : [], length(var.region_edges) > 0 ? [tostring(var.nats_cluster_port)] : [])

  # Descriptors: one per TCP player plus headroom (coordinator links,
  # WebTransport's UDP socket, files), rounded up to a multiple of 65536.
  nofile = ceil((var.max_connections + 65536) / 65536) * 65536

  # tcp_mem is in 4 KiB pages: pressure at 50% of RAM, the hard cap at 75%.
  ram_pages = var.memory_mib * 256
  tcp_mem   = "${floor(local.ram_pages * 0.25)} ${floor(local.ram_pages * 0.5)} ${floor(local.ram_pages * 0.75)}"

  paths = {
    env_file         = "${var.config_dir}/edge.env"
    secrets_env_file = "${var.config_dir}/edge-secrets.env"
    host_env_file    = "${var.config_dir}/edge-host.env"
    unit             = "/etc/systemd/system/veltrix-edge.service"
    sysctl           = "/etc/sysctl.d/60-veltrix-edge.conf"
    limits           = "/etc/security/limits.d/60-veltrix-edge.conf"
  }

  # Routing (-regions, -siblings) in the edge's text form (geo.ParseTable):
  # "name ws=URL [wt=URL] [cells=h3,…]; …".
  routing_table = join("; ", [for r in var.routing_regions : join(" ", concat([r.name, "ws=${r.ws}"],
  r.wt == "" ? [] : ["wt=${r.wt}"], length(r.cells) == 0 ? [] : ["cells=${join(",", r.cells)}"]))])
  siblings = join("; ", [for s in var.siblings : join(" ", concat([s.id, "ws=${s.ws}"], s.wt == "" ? [] : ["wt=${s.wt}"]))])

  # Non-secret settings; flags and these variables are interchangeable.
  env = merge(
    {
      VELTRIX_EDGE_LISTEN       = local.listen
      VELTRIX_EDGE_COORDINATORS = join(",", [for u in var.coordinator_urls : trimsuffix(u, "/")])
      VELTRIX_EDGE_REGION       = var.region
      VELTRIX_EDGE_PUBLIC_URL   = var.public_url
      VELTRIX_EDGE_TICK_HZ      = tostring(var.tick_hz)
      VELTRIX_EDGE_RADIUS       = tostring(var.radius)
      VELTRIX_EDGE_LOG_LEVEL    = var.log_level
      VELTRIX_EDGE_TRANSPORT    = var.io_uring ? var.transport : "netpoll"
    },
    var.rings == null ? {} : { VELTRIX_EDGE_RINGS = tostring(var.rings) },
    var.id == "" ? {} : { VELTRIX_EDGE_ID = var.id },
    var.tls == null ? {} : { VELTRIX_EDGE_TLS_CERT = var.tls.cert_path, VELTRIX_EDGE_TLS_KEY = var.tls.key_path },
    length(var.allowed_origins) == 0 ? {} : { VELTRIX_EDGE_ALLOWED_ORIGINS = join(",", var.allowed_origins) },
    var.pprof_addr == "" ? {} : { VELTRIX_EDGE_PPROF = var.pprof_addr },
    var.drain_delay_seconds == 0 ? {} : { VELTRIX_EDGE_DRAIN_DELAY = "${var.drain_delay_seconds}s" },
    var.coordinator_ca_path == null ? {} : { SSL_CERT_FILE = var.coordinator_ca_path },
    var.coordinator_client_cert == null ? {} : { VELTRIX_EDGE_COORDINATOR_CERT = var.coordinator_client_cert.cert_path, VELTRIX_EDGE_COORDINATOR_KEY = var.coordinator_client_cert.key_path },
    # Cells shared with the region's other edges (edge/region): routes of
    # the embedded NATS server to every edge of the region, or a cluster.
    length(var.region_edges) == 0 ? {} : {
      VELTRIX_EDGE_NATS_CLUSTER = "${var.listen_host}:${var.nats_cluster_port}"
      VELTRIX_EDGE_NATS_ROUTES  = join(",", [for h in var.region_edges : "${h}:${var.nats_cluster_port}"])
    },
    var.nats_url == "" ? {} : { VELTRIX_EDGE_NATS = var.nats_url },
    length(var.routing_regions) == 0 ? {} : { VELTRIX_EDGE_REGIONS = local.routing_table },
    length(var.siblings) == 0 ? {} : { VELTRIX_EDGE_SIBLINGS = local.siblings },
  )
  env_file = join("", [for k in sort(keys(local.env)) : "${k}=${local.env[k]}\n"])

  flags = [for k in sort(keys(local.env)) : "-${replace(lower(trimprefix(k, "VELTRIX_EDGE_")), "_", "-")}=${local.env[k]}" if startswith(k, "VELTRIX_EDGE_")]

  secrets_env_file = "VELTRIX_EDGE_EDGE_TOKEN=${var.edge_token}\n"

  sysctl = merge(
    {
      "fs.nr_open"                         = tostring(local.nofile)
      "fs.file-max"                        = tostring(local.nofile * 2)
      "net.core.somaxconn"                 = "65535"
      "net.ipv4.tcp_max_syn_backlog"       = "65535"
      "net.core.netdev_max_backlog"        = "65536"
      "net.ipv4.ip_local_port_range"       = "1024 65535"
      "net.ipv4.tcp_mem"                   = local.tcp_mem
      "net.ipv4.tcp_rmem"                  = "4096 16384 4194304"
      "net.ipv4.tcp_wmem"                  = "4096 16384 4194304"
      "net.core.rmem_max"                  = "8388608" # QUIC (WebTransport) socket buffers
      "net.core.wmem_max"                  = "8388608"
      "net.ipv4.tcp_fin_timeout"           = "15"
      "net.ipv4.tcp_tw_reuse"              = "1"
      "net.ipv4.tcp_slow_start_after_idle" = "0"
      # A leading "-": systemd-sysctl skips it where the key does not exist.
      "-net.netfilter.nf_conntrack_max" = tostring(var.max_connections * 2)
    },
    # Keep the edge's own port out of the ephemeral range, so an outgoing
    # connection can never take it before the service binds it.
    length(local.reserved_ports) == 0 ? {} : { "net.ipv4.ip_local_reserved_ports" = join(",", local.reserved_ports) },
    var.io_uring ? { "-kernel.io_uring_disabled" = "0" } : {},
  )
  sysctl_conf = join("", concat(
    ["# Veltrix edge: sized for ${var.max_connections} connections on ${var.memory_mib} MiB.\n"],
    [for k in sort(keys(local.sysctl)) : "${k} = ${local.sysctl[k]}\n"],
  ))

  limits_conf = <<-EOT
    # Veltrix edge: descriptors for ${var.max_connections} connections (the unit sets LimitNOFILE itself).
    ${var.service_user} soft nofile ${local.nofile}
    ${var.service_user} hard nofile ${local.nofile}
  EOT

  systemd_unit = templatefile("${path.module}/templates/veltrix-edge.service.tftpl", {
    region           = var.region
    user             = var.service_user
    binary           = var.binary_path
    env_file         = local.paths.env_file
    secrets_env_file = local.paths.secrets_env_file
    host_env_file    = local.paths.host_env_file
    nofile           = local.nofile
    stop_timeout     = var.stop_timeout_seconds
    bind_privileged  = var.port < 1024
    io_uring         = var.io_uring
  })

  # Files cloud-init writes, by path: the wrappers and examples/local use
  # the same map.
  files = {
    (local.paths.env_file) = { content = local.env_file, permissions = "0644" }
    (local.paths.unit)     = { content = local.systemd_unit, permissions = "0644" }
    (local.paths.sysctl)   = { content = local.sysctl_conf, permissions = "0644" }
    (local.paths.limits)   = { content = local.limits_conf, permissions = "0644" }
  }
  secret_files = {
    (local.paths.secrets_env_file) = { content = local.secrets_env_file, permissions = "0600" }
  }

  install_binary = var.release == null ? [] : [[
    "sh", "-c",
    "set -e; curl -fsSL --retry 5 -o '${var.binary_path}.new' '${var.release.url}'; echo '${var.release.sha256}  ${var.binary_path}.new' | sha256sum -c -; install -m 0755 '${var.binary_path}.new' '${var.binary_path}'; rm -f '${var.binary_path}.new'",
  ]]
  name_host = var.id != "" ? [] : [[
    "sh", "-c",
    "echo \"VELTRIX_EDGE_ID=${var.region}-$(cloud-init query v1.instance_id 2>/dev/null || hostname -s)\" > '${local.paths.host_env_file}'",
  ]]

  cloud_init = "#cloud-config\n${yamlencode({
    users = [{ name = var.service_user, system = true, shell = "/usr/sbin/nologin", no_create_home = true }]
    write_files = [for p in sort(keys(merge(local.files, local.secret_files))) : {
      path        = p
      owner       = "root:root"
      permissions = merge(local.files, local.secret_files)[p].permissions
      encoding    = "b64"
      content     = base64encode(merge(local.files, local.secret_files)[p].content)
    }]
    runcmd = concat(
      [["systemctl", "restart", "systemd-sysctl.service"]],
      local.install_binary,
      local.name_host,
      [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "veltrix-edge.service"]],
    )
  })}"
}
