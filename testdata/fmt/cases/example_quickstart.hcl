# The quickstart project: two configurations, wired by an output, deployed
# to two environments. Run it with:
#   terrace plan --env dev
#   terrace apply --env dev

project "quickstart" {
  description = "A network and a web tier that uses it, in dev and prod"
}

environment "dev" {
  inputs = {
    region = "eu-de"
    size   = "small"
  }
}

environment "prod" {
  inputs = {
    region = "eu-gb"
    size   = "large"
  }
}

configuration "network" {
  architecture = "./architectures/network"
  inputs = {
    cidr = "10.0.0.0/16"
    env  = environment.name
    # `region` comes from the environment's inputs: same name, no need to repeat it.
  }
}

configuration "web" {
  architecture = "./architectures/web"
  inputs = {
    # An edge in the graph: web waits for network's subnet.
    subnet_id = configuration.network.outputs.subnet_id
    env       = environment.name
    size      = environment.inputs.size
    pages     = ["index", "about"]
  }
}
