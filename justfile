# dockhand's tasks. `just` is optional: every recipe is a plain command.

# The whole test suite (installs the peer tools into .peers/ first).
test:
    ./scripts/test

# Regenerate every locked artifact from the response cache, no network.
regen:
    cargo run --release --locked -- regen --offline

# Fail when a committed artifact differs from what the lock and cache reproduce.
check:
    cargo run --release --locked -- regen --offline --check

# Validate the repo's own charts and Dockerfiles.
validate:
    cargo run --release --locked -- validate charts docker

# Benchmarks against kubernetes-validate, hadolint and helm, side by side (release
# build); writes BENCHMARKS.md with the machine and the date.
bench runs="3":
    ./scripts/bench {{runs}}

# Install hadolint, kubernetes-validate, helm and kubectl into .peers/.
peers:
    ./scripts/install-peers.sh

lint:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings

# Re-vendor the strict Kubernetes schemas from PyPI kubernetes-validate.
schemas:
    python3 scripts/vendor-schemas.py
