terraform {
  required_version = ">= 1.8.0"

  required_providers {
    # Thin wrapper: resources only, every value comes from a provider-free
    # module. Offline it is formatted and linted, never planned.
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }
}
