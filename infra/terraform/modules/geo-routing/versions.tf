terraform {
  # Provider-free: everything here is computed from the inputs, so
  # `terraform validate` and `terraform test` check it completely offline.
  required_version = ">= 1.8.0"
}
