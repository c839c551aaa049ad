output "data_devices" {
  description = "Per voter id, the Linux path of its data volume on Nitro instances: give it to the coordinator-cluster module as the voter's data_device."
  value       = { for id, v in aws_ebs_volume.data : id => "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${replace(v.id, "-", "")}" }
}

output "instance_ids" {
  description = "Instance id per voter id."
  value       = { for id, i in aws_instance.voter : id => i.id }
}

output "private_ips" {
  description = "Fixed private IP per voter id."
  value       = { for id, v in var.voters : id => v.private_ip }
}

output "security_group_id" {
  description = "Security group of the coordinators."
  value       = aws_security_group.coordinator.id
}
