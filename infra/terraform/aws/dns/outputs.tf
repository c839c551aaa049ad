output "record_fqdns" {
  description = "Names of the records created, by record key."
  value       = { for k, r in aws_route53_record.edge : k => r.fqdn }
}

output "health_check_ids" {
  description = "Route 53 health check ids, by record key."
  value       = { for k, h in aws_route53_health_check.edge : k => h.id }
}
