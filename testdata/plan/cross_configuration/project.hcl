project "t" {}
environment "dev" {}
configuration "net" {
  architecture = "./net"
}
configuration "app" {
  architecture = "./app"
  inputs = {
    subnet = configuration.net.outputs.subnet
    label  = configuration.net.outputs.label
  }
}
