# A configuration pinned to a version of a catalog architecture (see
# docs/catalog.md). Try:
#   terrace plan --env dev
#   terrace upgrade site        # moves the pin to the newest version and shows the plan

project "catalog-example" {
  description = "One configuration of a versioned catalog architecture"
  # The default. An HTTP(S) index works too: "https://example.com/catalog/index.json".
  catalog = "./catalog"
}

environment "dev" {}

configuration "site" {
  architecture = "catalog:static-site@1.0.0" # the pinned version
  inputs = {
    title = "Hello from terrace"
  }
}
