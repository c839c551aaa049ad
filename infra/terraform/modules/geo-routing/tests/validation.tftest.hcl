# Bad inputs fail at plan, each on the variable at fault (the failures of the
# DNS plan as a whole are in plan.tftest.hcl).

variables {
  zone_name = "play.example.com"
  regions = {
    eu-west-1 = { endpoints = ["198.51.100.7"] }
  }
}

run "ws_hostname_upper_case" {
  command = plan
  variables { ws_hostname = "WS" }
  expect_failures = [var.ws_hostname]
}

run "ws_hostname_two_labels" {
  command = plan
  variables { ws_hostname = "ws.eu" }
  expect_failures = [var.ws_hostname]
}

run "ws_hostname_leading_dash" {
  command = plan
  variables { ws_hostname = "-ws" }
  expect_failures = [var.ws_hostname]
}

run "wt_hostname_underscore" {
  command = plan
  variables { wt_hostname = "wt_1" }
  expect_failures = [var.wt_hostname]
}

run "wt_hostname_too_long" {
  command = plan
  variables { wt_hostname = join("", [for i in range(64) : "t"]) }
  expect_failures = [var.wt_hostname]
}

run "port_zero" {
  command = plan
  variables { port = 0 }
  expect_failures = [var.port]
}

run "port_out_of_range" {
  command = plan
  variables { port = 65536 }
  expect_failures = [var.port]
}

run "port_fractional" {
  command = plan
  variables { port = 443.5 }
  expect_failures = [var.port]
}

run "ttl_too_short" {
  command = plan
  variables { ttl = 4 }
  expect_failures = [var.ttl]
}

run "ttl_too_long" {
  command = plan
  variables { ttl = 86401 }
  expect_failures = [var.ttl]
}

run "ttl_fractional" {
  command = plan
  variables { ttl = 60.5 }
  expect_failures = [var.ttl]
}

run "region_name_upper_case" {
  command = plan
  variables { regions = { EU-1 = { endpoints = ["198.51.100.7"] } } }
  expect_failures = [var.regions]
}

run "region_name_too_short" {
  command = plan
  variables { regions = { e = { endpoints = ["198.51.100.7"] } } }
  expect_failures = [var.regions]
}

run "country_lower_case" {
  command = plan
  variables { regions = { eu-1 = { endpoints = ["198.51.100.7"], countries = ["de"] } } }
  expect_failures = [var.regions]
}

run "shared_latency_region" {
  command = plan
  variables {
    regions = {
      eu-a = { endpoints = ["198.51.100.7"], latency_region = "eu-west-1" }
      eu-b = { endpoints = ["198.51.100.8"], latency_region = "eu-west-1" }
    }
  }
  expect_failures = [var.regions]
}

# The edges of each range are accepted and reach the plan.

run "lower_boundaries_accepted" {
  command = plan
  variables {
    ws_hostname = "w"
    wt_hostname = "t"
    port        = 1
    ttl         = 5
    regions     = { eu = { endpoints = ["198.51.100.7"] } }
  }

  assert {
    condition     = output.ws_url == "wss://w.play.example.com:1/ws" && output.wt_url == "https://t.play.example.com:1/wt"
    error_message = "One-letter hostnames and port 1 must be accepted and reach the URLs."
  }
  assert {
    condition     = output.records["ws-eu"].ttl == 5 && output.health_checks["wt-eu"].port == 1
    error_message = "A 5 s TTL must be accepted and port 1 must reach the health checks."
  }
}

run "upper_boundaries_accepted" {
  command = plan
  variables {
    ws_hostname = join("", [for i in range(63) : "w"])
    wt_hostname = "wt-${join("", [for i in range(59) : "0"])}9"
    port        = 65535
    ttl         = 86400
    regions     = { "e${join("", [for i in range(31) : "u"])}" = { endpoints = ["198.51.100.7"] } }
  }

  assert {
    condition     = output.ws_fqdn == "${join("", [for i in range(63) : "w"])}.play.example.com" && length(output.wt_fqdn) == 63 + length(".play.example.com")
    error_message = "63-character hostname labels must be accepted."
  }
  assert {
    condition     = output.ws_url == "wss://${output.ws_fqdn}:65535/ws" && alltrue([for r in values(output.records) : r.ttl == 86400])
    error_message = "Port 65535 and a TTL of one day must be accepted."
  }
  assert {
    condition     = length(output.records) == 2 && alltrue([for r in values(output.records) : length(r.region) == 32])
    error_message = "A 32-character region name must be accepted."
  }
}
