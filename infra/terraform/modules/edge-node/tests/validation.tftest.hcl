# Bad inputs fail at plan, each on the variable at fault.

variables {
  region           = "eu-west-1"
  coordinator_urls = ["http://10.0.1.10:8080"]
  edge_token       = "edge-token-0123456789abcdef"
  public_url       = "wss://ws.play.example.com/ws"
}

run "region_upper_case" {
  command = plan
  variables { region = "EU-West" }
  expect_failures = [var.region]
}

run "no_coordinators" {
  command = plan
  variables { coordinator_urls = [] }
  expect_failures = [var.coordinator_urls]
}

run "coordinator_url_with_path" {
  command = plan
  variables { coordinator_urls = ["http://10.0.1.10:8080/v1"] }
  expect_failures = [var.coordinator_urls]
}

run "short_edge_token" {
  command = plan
  variables { edge_token = "short" }
  expect_failures = [var.edge_token]
}

run "public_url_not_websocket" {
  command = plan
  variables { public_url = "https://ws.play.example.com/ws" }
  expect_failures = [var.public_url]
}

run "port_out_of_range" {
  command = plan
  variables { port = 70000 }
  expect_failures = [var.port]
}

run "listen_host_is_a_name" {
  command = plan
  variables { listen_host = "edge.example.com" }
  expect_failures = [var.listen_host]
}

run "listen_host_out_of_range" {
  command = plan
  variables { listen_host = "10.0.0.256" }
  expect_failures = [var.listen_host]
}

run "pprof_on_a_public_address" {
  command = plan
  variables { pprof_addr = "0.0.0.0:6060" }
  expect_failures = [var.pprof_addr]
}

run "origin_with_trailing_slash" {
  command = plan
  variables { allowed_origins = ["https://play.example.com/"] }
  expect_failures = [var.allowed_origins]
}

run "too_few_connections" {
  command = plan
  variables { max_connections = 10 }
  expect_failures = [var.max_connections]
}

run "relative_tls_path" {
  command = plan
  variables { tls = { cert_path = "edge.crt", key_path = "/etc/veltrix/tls/edge.key" } }
  expect_failures = [var.tls]
}

run "release_without_checksum" {
  command = plan
  variables { release = { url = "https://releases.example.com/veltrix-edge", sha256 = "latest" } }
  expect_failures = [var.release]
}

run "tick_rate_too_high" {
  command = plan
  variables { tick_hz = 1000 }
  expect_failures = [var.tick_hz]
}

run "unknown_transport" {
  command = plan
  variables { transport = "epoll" }
  expect_failures = [var.transport]
}

run "uring_transport_without_io_uring" {
  command = plan
  variables {
    transport = "uring"
    io_uring  = false
  }
  expect_failures = [output.env]
}

run "zero_rings" {
  command = plan
  variables { rings = 0 }
  expect_failures = [var.rings]
}
