output "lb_dns_name" {
  description = "DNS name of the region's load balancer: the geo-routing module's endpoints for this region."
  value       = aws_lb.edge.dns_name
}

output "lb_zone_id" {
  description = "Hosted zone of the load balancer: the geo-routing module's alias_zone_id for this region."
  value       = aws_lb.edge.zone_id
}

output "security_group_id" {
  description = "Security group of the edges (allow it to reach the coordinators' API)."
  value       = aws_security_group.edge.id
}

output "autoscaling_group_name" {
  description = "Autoscaling group of the edges (instance refresh, scaling)."
  value       = aws_autoscaling_group.edge.name
}

output "target_group_arn" {
  description = "Target group (TCP_UDP on the edge port, health check /readyz)."
  value       = aws_lb_target_group.edge.arn
}
