// Stands in, in the agent bundle, for packages client-node loads for kubeconfig features an in-cluster
// agent does not use: OIDC and the legacy Azure/GCP auth providers, SOCKS proxies (about 8 MB of resident
// memory). Using one of them fails with this message instead of working.
module.exports = new Proxy(
  {},
  {
    get(_target, key) {
      if (key === '__esModule' || key === 'then' || typeof key === 'symbol') return undefined;
      throw new Error(
        `the Vigil agent bundle does not include this kubeconfig feature (${String(key)}): use a service account, a token or an exec credential plugin`,
      );
    },
  },
);
