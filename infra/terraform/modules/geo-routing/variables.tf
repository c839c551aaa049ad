variable "zone_name" {
  description = "DNS zone the player hostnames live in, e.g. play.example.com (no trailing dot)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.zone_name))
    error_message = "zone_name must be a lower-case DNS name with at least two labels and no trailing dot, e.g. play.example.com."
  }
}

variable "ws_hostname" {
  description = "Label of the WebSocket hostname in the zone (TCP): ws gives ws.<zone_name>."
  type        = string
  default     = "ws"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.ws_hostname))
    error_message = "ws_hostname must be one lower-case DNS label, e.g. ws."
  }
}

variable "wt_hostname" {
  description = "Label of the WebTransport hostname in the zone (UDP): wt gives wt.<zone_name>. Must differ from ws_hostname."
  type        = string
  default     = "wt"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.wt_hostname))
    error_message = "wt_hostname must be one lower-case DNS label, e.g. wt."
  }
}

variable "port" {
  description = "Port players connect to on every edge endpoint (TCP for WebSocket, UDP for WebTransport)."
  type        = number
  default     = 443

  validation {
    condition     = var.port >= 1 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be an integer between 1 and 65535."
  }
}

variable "tls" {
  description = "Edges serve wss:// and https:// (true) or ws:// and http:// (false, development). WebTransport always needs TLS in browsers."
  type        = bool
  default     = true
}

variable "policy" {
  description = "How DNS picks a region: latency (the region with the lowest measured latency to the resolver) or geolocation (by the resolver's continent or country, with a default)."
  type        = string
  default     = "latency"

  validation {
    condition     = contains(["latency", "geolocation"], var.policy)
    error_message = "policy must be latency or geolocation."
  }
}

variable "regions" {
  description = <<-EOT
    Edge regions by name (the edges' region). endpoints: the region's load
    balancer DNS name (with alias_zone_id, its hosted zone: an alias record)
    or its IP addresses; wt_endpoints: other endpoints for WebTransport
    (default: endpoints). latency_region: the cloud region latency records
    name (default: the key). continents / countries: what geolocation routes
    here (continent codes AF AN AS EU NA OC SA; ISO 3166 alpha-2 countries).
  EOT
  type = map(object({
    endpoints      = list(string)
    wt_endpoints   = optional(list(string))
    alias_zone_id  = optional(string)
    latency_region = optional(string)
    continents     = optional(list(string), [])
    countries      = optional(list(string), [])
  }))

  validation {
    condition     = length(var.regions) > 0
    error_message = "regions must name at least one region."
  }
  validation {
    condition     = alltrue([for k in keys(var.regions) : can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", k))])
    error_message = "Region names must be 2-32 characters of lower-case letters, digits and dashes (the edges' region)."
  }
  validation {
    condition = alltrue(flatten([for r in values(var.regions) : [for set in [r.endpoints, coalesce(r.wt_endpoints, r.endpoints)] : length(set) > 0 && (
      alltrue([for e in set : can(regex("^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$", e))]) ||
      alltrue([for e in set : can(regex("^[0-9a-fA-F]*:[0-9a-fA-F:]+$", e))]) ||
      (length(set) == 1 && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?\\.?$", set[0])))
    )]]))
    error_message = "Each region's endpoints (and wt_endpoints) must be either IPv4 addresses only, IPv6 addresses only, or exactly one DNS name (a load balancer)."
  }
  validation {
    condition     = alltrue([for r in values(var.regions) : r.alias_zone_id == null || alltrue([for set in [r.endpoints, coalesce(r.wt_endpoints, r.endpoints)] : length(set) == 1 && can(regex("[a-z]", set[0]))])])
    error_message = "A region with alias_zone_id must give exactly one DNS name (the load balancer) as its endpoints."
  }
  validation {
    condition     = alltrue(flatten([for r in values(var.regions) : [for c in r.continents : contains(["AF", "AN", "AS", "EU", "NA", "OC", "SA"], c)]]))
    error_message = "continents must be codes from AF, AN, AS, EU, NA, OC, SA."
  }
  validation {
    condition     = alltrue(flatten([for r in values(var.regions) : [for c in r.countries : can(regex("^[A-Z]{2}$", c))]]))
    error_message = "countries must be ISO 3166-1 alpha-2 codes in upper case, e.g. DE."
  }
  validation {
    condition     = length(flatten([for r in values(var.regions) : concat(r.continents, r.countries)])) == length(distinct(flatten([for r in values(var.regions) : concat(r.continents, r.countries)])))
    error_message = "Each continent and country may route to one region only."
  }
  validation {
    condition     = length(distinct([for k, r in var.regions : coalesce(r.latency_region, k)])) == length(var.regions)
    error_message = "Each region needs its own latency_region: latency records are one per cloud region."
  }
}

variable "default_region" {
  description = "Geolocation only: the region for resolvers whose location matches no continent or country (the * record). Must be a key of regions."
  type        = string
  default     = null
}

variable "ttl" {
  description = "TTL in seconds of non-alias records; short, so players move off a failed region quickly."
  type        = number
  default     = 60

  validation {
    condition     = var.ttl >= 5 && var.ttl <= 86400 && floor(var.ttl) == var.ttl
    error_message = "ttl must be an integer between 5 and 86400 seconds."
  }
}
