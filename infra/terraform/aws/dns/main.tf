# The geo-routing plan as Route 53 records: one record per planned record set,
# latency or geolocation routed, aliases to the edges' load balancers (which
# follow the balancers' /readyz checks) or plain records with their own DNS
# health check.

resource "aws_route53_health_check" "edge" {
  for_each = var.health_checks

  fqdn              = each.value.fqdn
  ip_address        = each.value.ip_address
  port              = each.value.port
  type              = each.value.protocol
  resource_path     = each.value.path
  request_interval  = 10
  failure_threshold = 3
  tags              = merge(var.tags, { Name = each.key })
}

resource "aws_route53_record" "edge" {
  for_each = var.records

  zone_id         = var.zone_id
  name            = each.value.fqdn
  type            = each.value.type
  ttl             = each.value.alias == null ? each.value.ttl : null
  records         = each.value.alias == null ? each.value.values : null
  set_identifier  = each.value.set_identifier
  health_check_id = contains(keys(var.health_checks), each.key) ? aws_route53_health_check.edge[each.key].id : null

  dynamic "alias" {
    for_each = each.value.alias == null ? [] : [each.value.alias]
    content {
      name                   = alias.value.name
      zone_id                = alias.value.zone_id
      evaluate_target_health = alias.value.evaluate_target_health
    }
  }

  dynamic "latency_routing_policy" {
    for_each = each.value.latency_region == null ? [] : [each.value.latency_region]
    content {
      region = latency_routing_policy.value
    }
  }

  dynamic "geolocation_routing_policy" {
    for_each = each.value.geolocation == null ? [] : [each.value.geolocation]
    content {
      continent = geolocation_routing_policy.value.continent
      country   = geolocation_routing_policy.value.country
    }
  }
}
