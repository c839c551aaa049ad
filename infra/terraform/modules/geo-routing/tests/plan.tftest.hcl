# The DNS plan for latency and geolocation routing, asserted on the plan.

variables {
  zone_name = "play.example.com"
  regions = {
    eu-west-1 = {
      endpoints     = ["edges-eu.elb.eu-west-1.amazonaws.com"]
      alias_zone_id = "Z2IFOLAFXWLO4F"
      continents    = ["EU", "AF"]
    }
    us-east-1 = {
      endpoints     = ["edges-us.elb.us-east-1.amazonaws.com"]
      alias_zone_id = "Z26RNL4JYFTOTI"
      continents    = ["NA", "SA"]
    }
    ap-southeast-1 = {
      endpoints = ["203.0.113.10", "203.0.113.11"]
      countries = ["SG", "JP"]
    }
  }
}

run "latency" {
  command = plan

  assert {
    condition     = length(output.records) == 6 && output.ws_fqdn == "ws.play.example.com" && output.wt_fqdn == "wt.play.example.com"
    error_message = "Latency routing has one record per service and region."
  }
  assert {
    condition = jsonencode(output.records["ws-eu-west-1"]) == jsonencode({
      service        = "ws"
      region         = "eu-west-1"
      name           = "ws"
      fqdn           = "ws.play.example.com"
      type           = "A"
      ttl            = null
      values         = []
      alias          = { name = "edges-eu.elb.eu-west-1.amazonaws.com", zone_id = "Z2IFOLAFXWLO4F", evaluate_target_health = true }
      set_identifier = "eu-west-1"
      latency_region = "eu-west-1"
      geolocation    = null
    })
    error_message = "A load balancer region gets an alias A record that follows the balancer's health."
  }
  assert {
    condition     = output.records["wt-ap-southeast-1"].type == "A" && jsonencode(output.records["wt-ap-southeast-1"].values) == jsonencode(["203.0.113.10", "203.0.113.11"]) && output.records["wt-ap-southeast-1"].ttl == 60
    error_message = "A region given by addresses gets a plain A record with the TTL."
  }
  assert {
    condition     = output.ws_url == "wss://ws.play.example.com/ws" && output.wt_url == "https://wt.play.example.com/wt"
    error_message = "Player URLs must use the hostnames and the edge paths."
  }
  assert {
    condition     = length(output.health_checks) == 0
    error_message = "Aliases and multi-address records get no DNS health check."
  }
}

run "geolocation_with_default" {
  command = plan

  variables {
    policy         = "geolocation"
    default_region = "us-east-1"
  }

  assert {
    condition     = length(output.records) == 2 * (2 + 2 + 2 + 1)
    error_message = "Geolocation has one record per service and location, plus a default per service."
  }
  assert {
    condition     = jsonencode(output.records["ws-eu-west-1-AF"].geolocation) == jsonencode({ continent = "AF", country = null }) && output.records["ws-eu-west-1-AF"].set_identifier == "eu-west-1-AF"
    error_message = "A continent routes to its region."
  }
  assert {
    condition     = jsonencode(output.records["wt-ap-southeast-1-JP"].geolocation) == jsonencode({ continent = null, country = "JP" }) && output.records["wt-ap-southeast-1-JP"].latency_region == null
    error_message = "A country routes to its region."
  }
  assert {
    condition     = output.records["ws-default"].geolocation.country == "*" && output.records["ws-default"].region == "us-east-1"
    error_message = "The default record goes to default_region."
  }
}

run "single_hosts_get_health_checks" {
  command = plan

  variables {
    port = 8443
    regions = {
      local-a = { endpoints = ["198.51.100.7"], wt_endpoints = ["2001:db8::7"] }
      local-b = { endpoints = ["edge-b.example.net"] }
    }
  }

  assert {
    condition     = output.records["wt-local-a"].type == "AAAA" && output.records["ws-local-b"].type == "CNAME"
    error_message = "IPv6 endpoints get AAAA, one DNS name gets CNAME."
  }
  assert {
    condition = jsonencode(output.health_checks["ws-local-a"]) == jsonencode({ fqdn = null, ip_address = "198.51.100.7", port = 8443, protocol = "HTTPS", path = "/readyz" }) && (
    output.health_checks["ws-local-b"].fqdn == "edge-b.example.net")
    error_message = "Single-endpoint records get an HTTPS /readyz health check."
  }
  assert {
    condition     = output.ws_url == "wss://ws.play.example.com:8443/ws"
    error_message = "A non-default port appears in the URLs."
  }
}

run "geolocation_needs_a_default" {
  command = plan
  variables { policy = "geolocation" }
  expect_failures = [output.records]
}

run "geolocation_default_must_be_a_region" {
  command = plan
  variables {
    policy         = "geolocation"
    default_region = "mars-1"
  }
  expect_failures = [output.records]
}

run "same_hostname_for_both" {
  command = plan
  variables { wt_hostname = "ws" }
  expect_failures = [output.records]
}

run "continent_twice" {
  command = plan
  variables {
    regions = {
      a-1 = { endpoints = ["198.51.100.7"], continents = ["EU"] }
      b-1 = { endpoints = ["198.51.100.8"], continents = ["EU"] }
    }
  }
  expect_failures = [var.regions]
}

run "unknown_continent" {
  command = plan
  variables { regions = { a-1 = { endpoints = ["198.51.100.7"], continents = ["EUROPE"] } } }
  expect_failures = [var.regions]
}

run "mixed_endpoints" {
  command = plan
  variables { regions = { a-1 = { endpoints = ["198.51.100.7", "edge.example.net"] } } }
  expect_failures = [var.regions]
}

run "alias_to_an_address" {
  command = plan
  variables { regions = { a-1 = { endpoints = ["198.51.100.7"], alias_zone_id = "Z2IFOLAFXWLO4F" } } }
  expect_failures = [var.regions]
}

run "no_regions" {
  command = plan
  variables { regions = {} }
  expect_failures = [var.regions]
}

run "bad_zone" {
  command = plan
  variables { zone_name = "Play.Example.com." }
  expect_failures = [var.zone_name]
}

run "bad_policy" {
  command = plan
  variables { policy = "weighted" }
  expect_failures = [var.policy]
}
