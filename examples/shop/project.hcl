# A project promoted through three environments: dev is applied from the
# working tree, test receives exactly what dev runs, and prod exactly what
# test runs, after a recorded approval. Walk through it with
# docs/environments.md.

project "shop" {
  description = "Web shop: a network and an app, dev → test → prod"
}

environment "dev" {
  inputs = {
    region   = "eu-de"
    size     = "small"
    replicas = 1
  }
  # A credential, resolved only when an operation needs it and never
  # written anywhere. Set SHOP_DEV_API_KEY before planning dev.
  authorization {
    api_key = env("SHOP_DEV_API_KEY")
  }
}

environment "test" {
  promote_from = "dev"
  inputs = {
    region   = "eu-de"
    size     = "medium"
    replicas = 2
  }
}

environment "prod" {
  promote_from     = "test"
  require_approval = true
  inputs = {
    region   = "eu-gb"
    size     = "large"
    replicas = 3
  }
}

configuration "network" {
  architecture = "./architectures/network"
  inputs = {
    cidr = "10.0.0.0/16"
    env  = environment.name
  }
}

configuration "app" {
  architecture = "./architectures/app"
  inputs = {
    subnet_id = configuration.network.outputs.subnet_id
    env       = environment.name
    size      = environment.inputs.size
    replicas  = environment.inputs.replicas
    version   = "1.0.0"
  }
}

# Policies gate prod (docs/policies.md): Rego evaluated on every plan of
# prod; `terrace policy test` runs policies/*_test.rego.
policy "prod-keeps-objects" {
  source       = "policies/prod.rego"
  query        = "data.shop.prod.deny"
  enforcement  = "overridable"
  environments = ["prod"]
}

policy "prod-replicas" {
  source       = "policies/prod.rego"
  query        = "data.shop.prod.too_few"
  enforcement  = "mandatory"
  environments = ["prod"]
}
