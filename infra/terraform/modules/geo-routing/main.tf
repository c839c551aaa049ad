# The DNS plan, as data: for each service (WebSocket over TCP, WebTransport
# over UDP) and each region, the record set that sends players to that
# region's edges, with the routing policy that picks the region. A cloud
# wrapper turns each record into one provider resource, nothing more.

locals {
  services = {
    ws = { label = var.ws_hostname, fqdn = "${var.ws_hostname}.${var.zone_name}" }
    wt = { label = var.wt_hostname, fqdn = "${var.wt_hostname}.${var.zone_name}" }
  }
  port_suffix = var.port == 443 ? "" : ":${var.port}"
  ws_url      = "${var.tls ? "wss" : "ws"}://${local.services.ws.fqdn}${local.port_suffix}/ws"
  wt_url      = "https://${local.services.wt.fqdn}${local.port_suffix}/wt"

  # Endpoints per (service, region) and the record type they need.
  targets = merge([for s in keys(local.services) : { for k, r in var.regions : "${s}-${k}" => {
    service   = s
    region    = k
    endpoints = s == "ws" ? r.endpoints : coalesce(r.wt_endpoints, r.endpoints)
    alias     = r.alias_zone_id
    latency   = coalesce(r.latency_region, k)
    locations = concat([for c in r.continents : { continent = c, country = null }], [for c in r.countries : { continent = null, country = c }])
  } }]...)

  type_of = { for key, t in local.targets : key => (
    t.alias != null ? "A" :
    can(regex("^[0-9.]+$", t.endpoints[0])) ? "A" :
    can(regex(":", t.endpoints[0])) ? "AAAA" : "CNAME"
  ) }

  base = { for key, t in local.targets : key => {
    service = t.service
    region  = t.region
    name    = local.services[t.service].label
    fqdn    = local.services[t.service].fqdn
    type    = local.type_of[key]
    ttl     = t.alias == null ? var.ttl : null
    values  = t.alias == null ? [for e in t.endpoints : trimsuffix(e, ".")] : []
    alias   = t.alias == null ? null : { name = trimsuffix(t.endpoints[0], "."), zone_id = t.alias, evaluate_target_health = true }
  } }

  latency_records = var.policy != "latency" ? {} : { for key, b in local.base : key => merge(b, {
    set_identifier = b.region
    latency_region = local.targets[key].latency
    geolocation    = null
  }) }

  geo_records = var.policy != "geolocation" ? {} : merge(
    merge([for key, b in local.base : { for loc in local.targets[key].locations : "${key}-${coalesce(loc.continent, loc.country)}" => merge(b, {
      set_identifier = "${b.region}-${coalesce(loc.continent, loc.country)}"
      latency_region = null
      geolocation    = { continent = loc.continent, country = loc.country }
    }) }]...),
    var.default_region == null ? {} : { for s in keys(local.services) : "${s}-default" => merge(local.base["${s}-${var.default_region}"], {
      set_identifier = "${var.default_region}-default"
      latency_region = null
      geolocation    = { continent = null, country = "*" }
    }) if contains(keys(var.regions), var.default_region) },
  )

  records = merge(local.latency_records, local.geo_records)

  # Records that are not aliases and carry one endpoint get a DNS health check
  # on the edge's /readyz; aliases evaluate the load balancer's own checks.
  health_checks = { for key, r in local.records : key => {
    fqdn       = r.type == "CNAME" ? r.values[0] : null
    ip_address = r.type == "CNAME" ? null : r.values[0]
    port       = var.port
    protocol   = var.tls ? "HTTPS" : "HTTP"
    path       = "/readyz"
  } if r.alias == null && length(r.values) == 1 }
}
