# tflint for infra/terraform, offline: only the ruleset bundled with tflint
# (never `tflint --init`), every rule of it.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
