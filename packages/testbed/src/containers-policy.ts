// The signature policy the containers/image clients (skopeo, podman) get in tests: accept any image, so a
// machine's own /etc/containers/policy.json (which may reject, or be missing on a fresh machine) never matters.

export const ACCEPT_ANYTHING_POLICY = { default: [{ type: 'insecureAcceptAnything' }] } as const;

/** A registries.conf with no search registries and no mirrors: only fully qualified names resolve. */
export const EMPTY_REGISTRIES_CONF = 'unqualified-search-registries = []\nshort-name-mode = "permissive"\n';
