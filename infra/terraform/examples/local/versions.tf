terraform {
  required_version = ">= 1.8.0"

  required_providers {
    # The only provider this example needs; `make infra-tools` builds it into
    # a filesystem mirror (bin/tools/terraform-plugins), so init is offline.
    local = {
      source  = "hashicorp/local"
      version = ">= 2.4.0"
    }
  }
}
