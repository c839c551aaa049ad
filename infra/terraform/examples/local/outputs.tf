output "coordinator_urls" {
  description = "API base URLs of the local coordinators (admin token: var.admin_token)."
  value       = module.coordinators.api_urls
}

output "edge_urls" {
  description = "HTTP base URLs of the local edges by region (/readyz, /metrics, the demo page)."
  value       = { for r, a in var.edges : r => "http://${a}:${var.ports.edge}" }
}

output "dns_plan" {
  description = "The geo-routing plan the cloud would get for these edges (data only here)."
  value       = module.dns.records
}

output "run_dir" {
  description = "Rendered files (hosts/<host>/ mirrors each host's root), pids, logs and raft data."
  value       = local.run_dir
}

output "pid_files" {
  description = "Pid file of every process this example started."
  value       = concat([for c in terraform_data.coordinator : c.input.pid_file], [for e in terraform_data.edge : e.input.pid_file])
}
