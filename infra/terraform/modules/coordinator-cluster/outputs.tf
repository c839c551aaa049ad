output "nodes" {
  description = "Per voter id: addresses, role (bootstrap or join), environment, flags, env file, systemd unit and non-secret files by host path."
  value = { for v in var.voters : v.id => {
    id           = v.id
    address      = v.address
    raft_addr    = "${v.address}:${var.raft_port}"
    api_listen   = local.env[v.id].VELTRIX_API_ADDR
    api_addr     = "${v.address}:${var.api_port}"
    api_url      = "${local.scheme}://${v.address}:${var.api_port}"
    role         = v.join ? "join" : "bootstrap"
    env          = local.env[v.id]
    env_file     = local.env_file[v.id]
    flags        = local.flags[v.id]
    systemd_unit = local.systemd_unit[v.id]
    files        = local.files[v.id]
    paths        = local.paths[v.id]
  } }

  precondition {
    condition     = !contains(values(var.edge_tokens), var.admin_token)
    error_message = "An edge token equals the admin token: edges would hold admin rights, and the coordinators refuse to start."
  }

  precondition {
    condition     = alltrue([for e in values(local.env) : alltrue([for x in values(e) : can(regex("^[^\\s\"'\\\\$`]+$", x))])])
    error_message = "A coordinator setting holds whitespace, a quote, a backslash, $ or a backtick, which an environment file cannot carry unquoted."
  }
}

output "user_data" {
  description = "cloud-init user data per voter id: user, data volume, files (secrets included), binary, service."
  value       = local.user_data
  sensitive   = true
}

output "secrets_env_file" {
  description = "Contents of the root-only secrets environment file (the admin token), the same on every voter."
  value       = local.secrets_env_file
  sensitive   = true
}

output "secret_files" {
  description = "Secret files by host path, the same on every voter: {content, permissions}."
  value       = local.secret_files
  sensitive   = true
}

output "signing_key_path" {
  description = "Where every voter reads the token signing key."
  value       = var.signing_key_path
}

output "api_urls" {
  description = "Every voter's API base URL: the edges' coordinator_urls."
  value       = [for v in var.voters : "${local.scheme}://${v.address}:${var.api_port}"]
}

output "peers" {
  description = "The bootstrap voters as -peers takes them: id=host:port,..."
  value       = local.peers
}

output "quorum" {
  description = "Voters needed for a write to commit; the cluster survives length(voters) - quorum failures."
  value       = floor(length(var.voters) / 2) + 1
}

output "ports" {
  description = "TCP ports to open: raft between voters only; api to edges and operators."
  value       = { raft = var.raft_port, api = var.api_port }
}

output "health_check" {
  description = "GET path on the API port answers 200 when a leader is known and heard from within 5 s."
  value = {
    protocol = upper(local.scheme)
    port     = var.api_port
    path     = "/readyz"
    matcher  = "200"
  }
}
