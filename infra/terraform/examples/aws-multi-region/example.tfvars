# Example inputs (placeholders: replace every id). `infra/check` plans this
# example with these values and the AWS wrappers stubbed, to check the wiring
# between the provider-free modules and the wrappers offline.
zone = { id = "Z0123456789EXAMPLE", name = "play.example.com" }

coordinators = {
  vpc_id            = "vpc-0eu00000000000000"
  ami_id            = "ami-0eu00000000000000"
  api_ingress_cidrs = ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"]
  voters = {
    c1 = { private_ip = "10.0.1.10", subnet_id = "subnet-0eua0000000000000", availability_zone = "eu-west-1a" }
    c2 = { private_ip = "10.0.2.10", subnet_id = "subnet-0eub0000000000000", availability_zone = "eu-west-1b" }
    c3 = { private_ip = "10.0.3.10", subnet_id = "subnet-0euc0000000000000", availability_zone = "eu-west-1c" }
  }
}

edge_regions = {
  eu-west-1 = {
    vpc_id        = "vpc-0eu00000000000000"
    subnet_ids    = ["subnet-0eua0000000000000", "subnet-0eub0000000000000", "subnet-0euc0000000000000"]
    lb_subnet_ids = ["subnet-0eupa000000000000", "subnet-0eupb000000000000", "subnet-0eupc000000000000"]
    ami_id        = "ami-0eu00000000000000"
  }
  us-east-1 = {
    vpc_id        = "vpc-0us00000000000000"
    subnet_ids    = ["subnet-0usa0000000000000", "subnet-0usb0000000000000"]
    lb_subnet_ids = ["subnet-0uspa000000000000", "subnet-0uspb000000000000"]
    ami_id        = "ami-0us00000000000000"
    capacity      = { min = 2, desired = 4, max = 10 }
  }
  ap-southeast-1 = {
    vpc_id        = "vpc-0ap00000000000000"
    subnet_ids    = ["subnet-0apa0000000000000", "subnet-0apb0000000000000"]
    lb_subnet_ids = ["subnet-0appa000000000000", "subnet-0appb000000000000"]
    ami_id        = "ami-0ap00000000000000"
  }
}

# Secrets: pass these from a secrets manager (TF_VAR_admin_token, ...), never
# commit them. The values here are placeholders for the offline check.
admin_token     = "REPLACE-admin-token-0123456789"
signing_key_pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n"
edge_tokens = {
  eu-west-1      = "REPLACE-edge-token-eu-west-1-0123456789"
  us-east-1      = "REPLACE-edge-token-us-east-1-0123456789"
  ap-southeast-1 = "REPLACE-edge-token-ap-southeast-1-0123"
}
