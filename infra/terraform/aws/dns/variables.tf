variable "zone_id" {
  description = "Route 53 hosted zone of the geo-routing module's zone_name."
  type        = string
}

variable "records" {
  description = "The geo-routing module's records output."
  type = map(object({
    fqdn   = string
    type   = string
    ttl    = number
    values = list(string)
    alias = object({
      name                   = string
      zone_id                = string
      evaluate_target_health = bool
    })
    set_identifier = string
    latency_region = string
    geolocation = object({
      continent = string
      country   = string
    })
  }))
}

variable "health_checks" {
  description = "The geo-routing module's health_checks output."
  type = map(object({
    fqdn       = string
    ip_address = string
    port       = number
    protocol   = string
    path       = string
  }))
  default = {}
}

variable "tags" {
  description = "Tags on the health checks."
  type        = map(string)
  default     = {}
}
