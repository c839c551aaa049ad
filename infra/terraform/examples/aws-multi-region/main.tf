# Veltrix on AWS: a 3-voter coordinator cluster in eu-west-1 and edges in
# three regions, players routed to the lowest-latency region. Everything a
# host runs comes from the provider-free modules; the ../../aws wrappers only
# turn it into resources. The VPCs are assumed to exist and to be peered (or
# joined by a transit gateway) so that edges reach the voters' private IPs.

locals {
  edge_port = 443
}

module "coordinator_config" {
  source = "../../modules/coordinator-cluster"

  voters = [for id in sort(keys(var.coordinators.voters)) : {
    id          = id
    address     = var.coordinators.voters[id].private_ip
    data_device = module.coordinators.data_devices[id]
  }]
  # One group credential per region: the region's instances are identical
  # and name themselves <region>-<instance id> (edge-node's default id).
  admin_token     = var.admin_token
  edge_tokens     = { for r, t in var.edge_tokens : "${r}-*" => t }
  signing_key_pem = var.signing_key_pem
  # Each voter's raft certificate (DNS name veltrix-raft, serverAuth and
  # clientAuth) and the raft CA, placed by the image or an instance-profile
  # fetch like the edges' certificates; docs/operations.md says how to issue
  # and rotate them.
  raft_tls    = { cert_path = "/etc/veltrix/tls/raft.crt", key_path = "/etc/veltrix/tls/raft.key", ca_path = "/etc/veltrix/tls/raft-ca.crt" }
  data_volume = { device = "/dev/nvme1n1" } # each voter's data_device overrides it
  # Edges in other regions are 70-250 ms away, the voters are not: raft keeps
  # its in-region defaults.
  release = try(var.releases.coordinator, null)
}

module "coordinators" {
  source    = "../../aws/coordinators"
  providers = { aws = aws.eu_west_1 }

  name              = var.name
  voters            = var.coordinators.voters
  user_data         = module.coordinator_config.user_data
  ports             = module.coordinator_config.ports
  vpc_id            = var.coordinators.vpc_id
  ami_id            = var.coordinators.ami_id
  api_ingress_cidrs = var.coordinators.api_ingress_cidrs
}

module "dns_plan" {
  source = "../../modules/geo-routing"

  zone_name = var.zone.name
  policy    = "latency"
  regions = {
    eu-west-1      = { endpoints = [module.edges_eu_west_1.lb_dns_name], alias_zone_id = module.edges_eu_west_1.lb_zone_id }
    us-east-1      = { endpoints = [module.edges_us_east_1.lb_dns_name], alias_zone_id = module.edges_us_east_1.lb_zone_id }
    ap-southeast-1 = { endpoints = [module.edges_ap_southeast_1.lb_dns_name], alias_zone_id = module.edges_ap_southeast_1.lb_zone_id }
  }
}

# The edges' configuration per region. Certificates for the player hostnames
# are placed at the tls paths by the image or an instance-profile fetch.
module "edge_config" {
  source   = "../../modules/edge-node"
  for_each = var.edge_regions

  region           = each.key
  coordinator_urls = module.coordinator_config.api_urls
  edge_token       = var.edge_tokens[each.key]
  port             = local.edge_port
  public_url       = "wss://ws.${var.zone.name}/ws" # module.dns_plan.ws_url

  tls             = { cert_path = "/etc/veltrix/tls/edge.crt", key_path = "/etc/veltrix/tls/edge.key" }
  allowed_origins = ["https://${var.zone.name}"]
  release         = try(var.releases.edge, null)
}

module "edges_eu_west_1" {
  source    = "../../aws/edge-region"
  providers = { aws = aws.eu_west_1 }

  name          = "${var.name}-euw1"
  user_data     = module.edge_config["eu-west-1"].cloud_init
  port          = module.edge_config["eu-west-1"].ports.tcp
  health_check  = module.edge_config["eu-west-1"].health_check
  vpc_id        = var.edge_regions["eu-west-1"].vpc_id
  subnet_ids    = var.edge_regions["eu-west-1"].subnet_ids
  lb_subnet_ids = var.edge_regions["eu-west-1"].lb_subnet_ids
  ami_id        = var.edge_regions["eu-west-1"].ami_id
  instance_type = var.edge_regions["eu-west-1"].instance_type
  capacity      = var.edge_regions["eu-west-1"].capacity
}

module "edges_us_east_1" {
  source    = "../../aws/edge-region"
  providers = { aws = aws.us_east_1 }

  name          = "${var.name}-use1"
  user_data     = module.edge_config["us-east-1"].cloud_init
  port          = module.edge_config["us-east-1"].ports.tcp
  health_check  = module.edge_config["us-east-1"].health_check
  vpc_id        = var.edge_regions["us-east-1"].vpc_id
  subnet_ids    = var.edge_regions["us-east-1"].subnet_ids
  lb_subnet_ids = var.edge_regions["us-east-1"].lb_subnet_ids
  ami_id        = var.edge_regions["us-east-1"].ami_id
  instance_type = var.edge_regions["us-east-1"].instance_type
  capacity      = var.edge_regions["us-east-1"].capacity
}

module "edges_ap_southeast_1" {
  source    = "../../aws/edge-region"
  providers = { aws = aws.ap_southeast_1 }

  name          = "${var.name}-apse1"
  user_data     = module.edge_config["ap-southeast-1"].cloud_init
  port          = module.edge_config["ap-southeast-1"].ports.tcp
  health_check  = module.edge_config["ap-southeast-1"].health_check
  vpc_id        = var.edge_regions["ap-southeast-1"].vpc_id
  subnet_ids    = var.edge_regions["ap-southeast-1"].subnet_ids
  lb_subnet_ids = var.edge_regions["ap-southeast-1"].lb_subnet_ids
  ami_id        = var.edge_regions["ap-southeast-1"].ami_id
  instance_type = var.edge_regions["ap-southeast-1"].instance_type
  capacity      = var.edge_regions["ap-southeast-1"].capacity
}

module "dns" {
  source    = "../../aws/dns"
  providers = { aws = aws.us_east_1 } # Route 53 is global

  zone_id       = var.zone.id
  records       = module.dns_plan.records
  health_checks = module.dns_plan.health_checks
}
