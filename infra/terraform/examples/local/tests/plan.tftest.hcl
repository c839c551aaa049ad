# The local deployment's plan: what would be written and started, without
# starting anything (plan runs no provisioners). The local provider is mocked:
# the plan must not depend on this machine's files.

mock_provider "local" {}

variables {
  run_dir = "/tmp/veltrix-local-plan"
  bin_dir = "/tmp/veltrix-local-plan-bin"
}

run "renders_three_voters_and_two_edges" {
  command = plan

  # The binaries must exist even to plan: tests/bin holds placeholders.
  variables {
    bin_dir = "tests/bin"
  }

  assert {
    condition     = length(terraform_data.coordinator) == 3 && length(terraform_data.edge) == 2
    error_message = "Three coordinators and two edges must be started."
  }
  assert {
    condition     = output.coordinator_urls == ["http://127.0.0.11:19201", "http://127.0.0.12:19201", "http://127.0.0.13:19201"]
    error_message = "Coordinators must serve their APIs on their own loopback addresses."
  }
  assert {
    condition     = module.coordinators.nodes.c2.env.VELTRIX_PEERS == "c1=127.0.0.11:19101,c2=127.0.0.12:19101,c3=127.0.0.13:19101" && module.coordinators.nodes.c2.env.VELTRIX_API_ADDR == "127.0.0.12:19201"
    error_message = "The voters must bootstrap together on loopback."
  }
  assert {
    condition = (
      module.coordinators.nodes.c2.env.VELTRIX_RAFT_TLS_CERT == "/tmp/veltrix-local-plan/etc/raft/c2.crt" &&
      module.coordinators.nodes.c2.env.VELTRIX_RAFT_TLS_KEY == "/tmp/veltrix-local-plan/etc/raft/c2.key" &&
      module.coordinators.nodes.c2.env.VELTRIX_RAFT_TLS_CA == "/tmp/veltrix-local-plan/etc/raft/ca.crt" &&
      terraform_data.raft_certs.input.voters == "c1 c2 c3"
    )
    error_message = "The voters must run raft over mutual TLS with per-voter certificates issued at apply time."
  }
  assert {
    condition     = module.edges["local-b"].env.VELTRIX_EDGE_COORDINATORS == "http://127.0.0.11:19201,http://127.0.0.12:19201,http://127.0.0.13:19201" && module.edges["local-b"].listen == "127.0.0.22:19301"
    error_message = "Each edge must follow all three coordinators from its own address."
  }
  assert {
    condition = alltrue([for f in [
      "/tmp/veltrix-local-plan/etc/coordinator-c1.env",
      "/tmp/veltrix-local-plan/local-a/edge.env",
      "/tmp/veltrix-local-plan/hosts/c3/etc/systemd/system/veltrix-coordinator.service",
      "/tmp/veltrix-local-plan/hosts/local-b/etc/systemd/system/veltrix-edge.service",
      "/tmp/veltrix-local-plan/hosts/local-a/etc/sysctl.d/60-veltrix-edge.conf",
    ] : contains(keys(local_file.rendered), f)])
    error_message = "Environment files must be written where the processes read them, host files below hosts/<host>/."
  }
  assert {
    condition     = contains(keys(local_sensitive_file.secrets), "/tmp/veltrix-local-plan/etc/coordinator-secrets.env") && local_sensitive_file.secrets["/tmp/veltrix-local-plan/local-a/edge-secrets.env"].file_permission == "0600"
    error_message = "Secrets must be written root-only."
  }
  assert {
    condition     = length(local_sensitive_file.user_data) == 5
    error_message = "Every host's cloud-init user data must be written for inspection."
  }
  assert {
    condition     = terraform_data.coordinator["c1"].input.data_dir == "/tmp/veltrix-local-plan/data/c1" && terraform_data.edge["local-a"].input.binary == abspath("tests/bin/veltrix-edge")
    error_message = "Processes must run the configured binaries on per-voter data directories."
  }
  assert {
    condition     = length(output.dns_plan) == 4 && output.dns_plan["ws-local-a"].values[0] == "127.0.0.21"
    error_message = "The DNS plan must route each service to each edge."
  }
}

run "missing_binaries_fail_before_starting_anything" {
  command         = plan
  expect_failures = [terraform_data.coordinator]
}

run "addresses_must_stay_on_loopback" {
  command = plan
  variables { edges = { local-a = "10.0.0.1" } }
  expect_failures = [var.edges]
}

run "four_voters_are_refused" {
  command = plan
  variables { coordinator_addresses = ["127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"] }
  expect_failures = [var.coordinator_addresses]
}

run "ports_must_differ" {
  command = plan
  variables { ports = { raft = 19201 } }
  expect_failures = [var.ports]
}
