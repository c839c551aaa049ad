output "records" {
  description = <<-EOT
    The DNS plan: record sets by stable key, each {service (ws or wt), region,
    name (label in the zone), fqdn, type (A, AAAA or CNAME), ttl, values,
    alias ({name, zone_id, evaluate_target_health} or null), set_identifier,
    latency_region (latency policy) or geolocation ({continent, country};
    country "*" is the default record)}.
  EOT
  value       = local.records

  precondition {
    condition     = var.ws_hostname != var.wt_hostname
    error_message = "ws_hostname and wt_hostname must differ: each service has its own records."
  }
  precondition {
    condition     = var.policy != "geolocation" || (var.default_region != null && contains(keys(var.regions), coalesce(var.default_region, "-")))
    error_message = "With policy = geolocation, default_region must name one of the regions: players whose location matches no record would get no answer."
  }
  precondition {
    condition     = var.policy != "geolocation" || alltrue([for k, r in var.regions : length(r.continents) + length(r.countries) > 0 || k == var.default_region])
    error_message = "With policy = geolocation, every region must list continents or countries (or be the default_region), or no player reaches it."
  }
}

output "health_checks" {
  description = "DNS health checks to attach, by record key, for records that are not aliases and have one endpoint: {fqdn or ip_address, port, protocol, path = /readyz}."
  value       = local.health_checks
}

output "ws_fqdn" {
  description = "WebSocket hostname."
  value       = local.services.ws.fqdn
}

output "wt_fqdn" {
  description = "WebTransport hostname."
  value       = local.services.wt.fqdn
}

output "ws_url" {
  description = "WebSocket URL players use: the edges' public_url."
  value       = local.ws_url
}

output "wt_url" {
  description = "WebTransport URL players use."
  value       = local.wt_url
}
