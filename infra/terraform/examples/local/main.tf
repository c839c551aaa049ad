# The whole deployment on loopback, from the same modules the cloud uses:
# the rendered environment files are what the processes run on, the units
# and cloud-init user data are written next to them (and the units checked by
# systemd-analyze in `make test-infra`), and apply fails unless every
# coordinator and edge answers /readyz. Destroy stops the processes and
# removes run_dir.

locals {
  bin_dir = var.bin_dir == null ? abspath("${path.module}/../../../../bin") : abspath(var.bin_dir)
  run_dir = coalesce(var.run_dir, abspath("${path.module}/.run"))
  scripts = abspath("${path.module}/scripts")

  voters = [for i, a in var.coordinator_addresses : { id = "c${i + 1}", address = a }]

  # Every edge has a credential of its own, bound to its id edge-<region>.
  edge_tokens = { for r in keys(var.edges) : r => lookup(var.edge_tokens, r, "local-edge-token-${r}-0123456789") }
}

module "coordinators" {
  source = "../../modules/coordinator-cluster"

  voters           = local.voters
  raft_port        = var.ports.raft
  api_port         = var.ports.api
  api_bind_all     = false
  admin_token      = var.admin_token
  edge_tokens      = { for r, t in local.edge_tokens : "edge-${r}" => t }
  config_dir       = "${local.run_dir}/etc"
  data_root        = "${local.run_dir}/data"
  signing_key_path = "${local.run_dir}/etc/token.key"
  # Raft over mutual TLS, as in production: scripts/raft-certs.sh issues a
  # throwaway CA and one certificate per voter at apply time.
  raft_tls = {
    cert_path = "${local.run_dir}/etc/raft/{id}.crt"
    key_path  = "${local.run_dir}/etc/raft/{id}.key"
    ca_path   = "${local.run_dir}/etc/raft/ca.crt"
  }
  binary_path = "${local.bin_dir}/veltrix-coordinator"
  log_level   = "info"
}

module "edges" {
  source   = "../../modules/edge-node"
  for_each = var.edges

  region           = each.key
  id               = "edge-${each.key}"
  coordinator_urls = module.coordinators.api_urls
  edge_token       = local.edge_tokens[each.key]
  listen_host      = each.value
  port             = var.ports.edge
  public_url       = "ws://${each.value}:${var.ports.edge}/ws"
  config_dir       = "${local.run_dir}/${each.key}"
  binary_path      = "${local.bin_dir}/veltrix-edge"
  max_connections  = 10000
  memory_mib       = 4096
  log_level        = "info"
  # The loopback edges share cells, as the edges of one region do: their
  # embedded NATS servers route to each other.
  region_edges      = values(var.edges)
  nats_cluster_port = var.ports.nats
}

module "dns" {
  source = "../../modules/geo-routing"

  zone_name = "play.localhost"
  port      = var.ports.edge
  tls       = false
  regions   = { for r, a in var.edges : r => { endpoints = [a] } }
}

locals {
  # Every rendered file, by where it lands here: files a process reads are
  # already under run_dir; host files (units, sysctl, limits) go below
  # run_dir/hosts/<host>/ as on the host's root.
  host_files = merge(
    { for id, n in module.coordinators.nodes : id => n.files },
    { for r, e in module.edges : r => e.files },
  )
  rendered = merge([for host, files in local.host_files : {
    for p, f in files : (startswith(p, "${local.run_dir}/") ? p : "${local.run_dir}/hosts/${host}${p}") => f
  }]...)
  user_data = merge(
    { for id, ud in module.coordinators.user_data : "${local.run_dir}/hosts/${id}/user-data" => ud },
    { for r, e in module.edges : "${local.run_dir}/hosts/${r}/user-data" => e.cloud_init },
  )
  secrets = merge(module.coordinators.secret_files, [for e in module.edges : e.secret_files]...)
}

resource "terraform_data" "run_dir" {
  # Everything depends on this, so destroy removes the directory last.
  input = local.run_dir

  provisioner "local-exec" {
    command = "mkdir -p '${self.input}'"
  }
  provisioner "local-exec" {
    when    = destroy
    command = "rm -rf '${self.input}'"
  }
}

resource "local_file" "rendered" {
  for_each = local.rendered

  filename        = each.key
  content         = each.value.content
  file_permission = each.value.permissions

  depends_on = [terraform_data.run_dir]
}

resource "local_sensitive_file" "secrets" {
  for_each = nonsensitive(toset(keys(local.secrets)))

  filename        = each.key
  content         = local.secrets[each.key].content
  file_permission = local.secrets[each.key].permissions

  depends_on = [terraform_data.run_dir]
}

resource "local_sensitive_file" "user_data" {
  for_each = nonsensitive(toset(keys(local.user_data)))

  filename        = each.key
  content         = local.user_data[each.key]
  file_permission = "0600"

  depends_on = [terraform_data.run_dir]
}

# The one secret Terraform cannot make: an Ed25519 key. In the cloud it is
# placed out of band or passed as signing_key_pem; here a script writes it.
resource "terraform_data" "signing_key" {
  input = module.coordinators.signing_key_path

  provisioner "local-exec" {
    command = "'${local.scripts}/keygen.sh' '${self.input}'"
  }

  depends_on = [terraform_data.run_dir]
}

# The raft certificates: in the cloud they come from the operator's PKI and
# are placed out of band; here a script (openssl) issues a local CA and one
# certificate per voter under run_dir, which destroy removes.
resource "terraform_data" "raft_certs" {
  input = {
    dir    = "${local.run_dir}/etc/raft"
    voters = join(" ", [for v in local.voters : v.id])
  }

  provisioner "local-exec" {
    command = "'${local.scripts}/raft-certs.sh' '${self.input.dir}' ${self.input.voters}"
  }

  depends_on = [terraform_data.run_dir]
}

resource "terraform_data" "coordinator" {
  for_each = module.coordinators.nodes

  # A changed configuration restarts the process (destroy, then create).
  triggers_replace = [each.value.env_file, sha256(local_sensitive_file.secrets[each.value.paths.secrets_env_file].content)]

  input = {
    name      = "coordinator ${each.key}"
    binary    = "${local.bin_dir}/veltrix-coordinator"
    pid_file  = "${local.run_dir}/pids/coordinator-${each.key}.pid"
    log_file  = "${local.run_dir}/logs/coordinator-${each.key}.log"
    env_files = "'${each.value.paths.env_file}' '${each.value.paths.secrets_env_file}'"
    data_dir  = each.value.paths.data_dir
    scripts   = local.scripts
  }

  provisioner "local-exec" {
    command = "'${self.input.scripts}/start.sh' '${self.input.name}' '${self.input.binary}' '${self.input.pid_file}' '${self.input.log_file}' ${self.input.env_files}"
  }
  provisioner "local-exec" {
    when    = destroy
    command = "'${self.input.scripts}/stop.sh' '${self.input.name}' '${self.input.binary}' '${self.input.pid_file}' '${self.input.data_dir}'"
  }

  lifecycle {
    precondition {
      condition     = fileexists("${local.bin_dir}/veltrix-coordinator") && fileexists("${local.bin_dir}/veltrix-edge")
      error_message = "No veltrix-coordinator or veltrix-edge in ${local.bin_dir}: run `make build` first (or set bin_dir)."
    }
  }

  depends_on = [local_file.rendered, local_sensitive_file.secrets, terraform_data.signing_key, terraform_data.raft_certs]
}

resource "terraform_data" "coordinators_ready" {
  triggers_replace = [for c in terraform_data.coordinator : c.id]

  provisioner "local-exec" {
    command = "'${local.scripts}/wait-ready.sh' ${var.ready_timeout_seconds} '${local.run_dir}/pids' ${join(" ", module.coordinators.api_urls)}"
  }
}

resource "terraform_data" "edge" {
  for_each = module.edges

  triggers_replace = [each.value.env_file, sha256(local_sensitive_file.secrets[each.value.paths.secrets_env_file].content), terraform_data.coordinators_ready.id]

  input = {
    name      = "edge ${each.key}"
    binary    = "${local.bin_dir}/veltrix-edge"
    pid_file  = "${local.run_dir}/pids/edge-${each.key}.pid"
    log_file  = "${local.run_dir}/logs/edge-${each.key}.log"
    env_files = "'${each.value.paths.env_file}' '${each.value.paths.secrets_env_file}'"
    scripts   = local.scripts
  }

  provisioner "local-exec" {
    command = "'${self.input.scripts}/start.sh' '${self.input.name}' '${self.input.binary}' '${self.input.pid_file}' '${self.input.log_file}' ${self.input.env_files}"
  }
  provisioner "local-exec" {
    when    = destroy
    command = "'${self.input.scripts}/stop.sh' '${self.input.name}' '${self.input.binary}' '${self.input.pid_file}'"
  }

  depends_on = [local_file.rendered, local_sensitive_file.secrets]
}

resource "terraform_data" "ready" {
  triggers_replace = [for e in terraform_data.edge : e.id]

  provisioner "local-exec" {
    command = "'${local.scripts}/wait-ready.sh' ${var.ready_timeout_seconds} '${local.run_dir}/pids' ${join(" ", concat(module.coordinators.api_urls, [for r, a in var.edges : "http://${a}:${var.ports.edge}"]))}"
  }
}
