variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "veltrix"
}

variable "zone" {
  description = "Route 53 hosted zone the player hostnames live in: its id and name (e.g. play.example.com)."
  type = object({
    id   = string
    name = string
  })
}

variable "coordinators" {
  description = "The coordinator cluster in eu-west-1: VPC, image, and each voter's fixed private IP, subnet and availability zone (3 or 5 voters over 3 zones)."
  type = object({
    vpc_id            = string
    ami_id            = string
    api_ingress_cidrs = list(string)
    voters = map(object({
      private_ip        = string
      subnet_id         = string
      availability_zone = string
    }))
  })
}

variable "edge_regions" {
  description = "Each edge region (exactly eu-west-1, us-east-1 and ap-southeast-1, matching the providers): VPC, instance and load balancer subnets, image, capacity, and what geolocation sends there."
  type = map(object({
    vpc_id        = string
    subnet_ids    = list(string)
    lb_subnet_ids = list(string)
    ami_id        = string
    instance_type = optional(string, "c6in.4xlarge")
    capacity      = optional(object({ min = number, desired = number, max = number }), { min = 2, desired = 2, max = 6 })
  }))

  validation {
    condition     = toset(keys(var.edge_regions)) == toset(["eu-west-1", "us-east-1", "ap-southeast-1"])
    error_message = "edge_regions must configure exactly eu-west-1, us-east-1 and ap-southeast-1 (one provider each in versions.tf)."
  }
}

variable "admin_token" {
  description = "Coordinator admin bearer token (e.g. from a secrets manager)."
  type        = string
  sensitive   = true
}

variable "edge_tokens" {
  description = "Edge bearer token per edge region (each region's instances share it as a group credential <region>-*); never the admin token."
  type        = map(string)
  sensitive   = true
}

variable "signing_key_pem" {
  description = "Ed25519 PKCS #8 PEM key that signs player tokens, the same on every voter."
  type        = string
  sensitive   = true
}

variable "releases" {
  description = "Where hosts download the binaries at first boot ({url, sha256} each); null when the images already hold them."
  type = object({
    edge        = object({ url = string, sha256 = string })
    coordinator = object({ url = string, sha256 = string })
  })
  default = null
}
