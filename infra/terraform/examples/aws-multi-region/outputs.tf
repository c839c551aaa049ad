output "ws_url" {
  description = "WebSocket URL players use."
  value       = module.dns_plan.ws_url
}

output "wt_url" {
  description = "WebTransport URL players use."
  value       = module.dns_plan.wt_url
}

output "coordinator_api_urls" {
  description = "The voters' API URLs (private)."
  value       = module.coordinator_config.api_urls
}

output "edge_load_balancers" {
  description = "Each region's load balancer DNS name."
  value = {
    eu-west-1      = module.edges_eu_west_1.lb_dns_name
    us-east-1      = module.edges_us_east_1.lb_dns_name
    ap-southeast-1 = module.edges_ap_southeast_1.lb_dns_name
  }
}
