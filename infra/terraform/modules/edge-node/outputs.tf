output "env" {
  description = "Non-secret environment of the edge (VELTRIX_EDGE_<FLAG> = value); the binary reads these like flags."
  value       = local.env

  precondition {
    condition     = var.io_uring || var.transport != "uring"
    error_message = "transport = \"uring\" needs io_uring = true: with io_uring off the unit denies its syscalls."
  }
  precondition {
    condition     = var.drain_delay_seconds + 5 < var.stop_timeout_seconds
    error_message = "drain_delay_seconds + 5 s (the HTTP drain) must be less than stop_timeout_seconds, or systemd kills the edge before it tells its players to reconnect."
  }
  precondition {
    condition     = var.nats_url == "" || length(var.region_edges) == 0
    error_message = "nats_url (an external NATS cluster) and region_edges (routes between the edges' embedded servers) exclude each other."
  }
}

output "env_file" {
  description = "Contents of the environment file (KEY=value lines, systemd EnvironmentFile syntax, no quoting needed: an unquoted value keeps its inner spaces)."
  value       = local.env_file

  precondition {
    condition     = alltrue([for v in values(local.env) : can(regex("^[^\\s\"'\\\\$`]+( [^\\s\"'\\\\$`]+)*$", v))])
    error_message = "An edge setting holds leading, trailing or repeated whitespace, a tab or newline, a quote, a backslash, $ or a backtick, which an environment file cannot carry unquoted."
  }
}

output "secrets_env_file" {
  description = "Contents of the root-only secrets environment file (the edge token)."
  value       = local.secrets_env_file
  sensitive   = true
}

output "flags" {
  description = "The same non-secret settings as command-line flags (for running the binary by hand)."
  value       = local.flags
}

output "systemd_unit" {
  description = "The hardened veltrix-edge.service unit."
  value       = local.systemd_unit
}

output "sysctl" {
  description = "Kernel settings for a host of max_connections connections (a leading - marks keys skipped where absent)."
  value       = local.sysctl
}

output "sysctl_conf" {
  description = "The sysctl.d file with those settings."
  value       = local.sysctl_conf
}

output "limits_conf" {
  description = "The limits.d file raising nofile for the service user."
  value       = local.limits_conf
}

output "limit_nofile" {
  description = "LimitNOFILE of the unit (also fs.nr_open)."
  value       = local.nofile
}

output "paths" {
  description = "Where each rendered file goes on the host."
  value       = local.paths
}

output "files" {
  description = "Non-secret files by host path: {content, permissions}."
  value       = local.files
}

output "secret_files" {
  description = "Secret files by host path: {content, permissions}."
  value       = local.secret_files
  sensitive   = true
}

output "cloud_init" {
  description = "cloud-init user data (#cloud-config) that creates the user, writes every file, applies sysctls, installs the binary if release is set and starts the service."
  value       = local.cloud_init
  sensitive   = true
}

output "listen" {
  description = "host:port the edge binds (TCP and UDP)."
  value       = local.listen
}

output "ports" {
  description = "Ports to open and balance: TCP for HTTP/WebSocket, UDP for WebTransport."
  value       = { tcp = var.port, udp = var.port }
}

output "health_check" {
  description = "How a load balancer checks the edge: GET path on the TCP port answers 200 once the coordinator stream is fresh."
  value = {
    protocol = var.tls == null ? "HTTP" : "HTTPS"
    port     = var.port
    path     = "/readyz"
    matcher  = "200"
  }
}

output "metrics_path" {
  description = "Prometheus metrics path on the edge's port."
  value       = "/metrics"
}
