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

# Benchmarks against kubernetes-validate, hadolint and helm (prints the numbers).
bench copies="200":
    ./scripts/bench {{copies}}

# Install hadolint, kubernetes-validate, helm and kubectl into .peers/.
peers:
    ./scripts/install-peers.sh

lint:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings

# Re-vendor the strict Kubernetes schemas from PyPI kubernetes-validate.
schemas:
    python3 scripts/vendor-schemas.py

# --- The Minikube flow (README, "Minikube"). Each recipe is one plain command:
# scripts/minikube.sh STEP; `scripts/minikube.sh --print STEP` shows what it would run.

# Print the exact commands STEP would run, running nothing (e.g. `just plan deploy`).
plan STEP *ARGS:
    ./scripts/minikube.sh --print {{STEP}} {{ARGS}}

# Build both images in Minikube's Docker daemon, tagged as charts/todo-app/values.yaml says.
images:
    ./scripts/minikube.sh images

# Create or replace todo-backend-secret from DATABASE_URL, OPENAI_API_KEY, BETTER_AUTH_SECRET.
secret:
    ./scripts/minikube.sh secret

# helm upgrade --install the chart and wait for the rollout (extra arguments go to helm).
deploy *HELM_ARGS:
    ./scripts/minikube.sh deploy {{HELM_ARGS}}

# Roll the release back to REVISION (default: the previous one).
rollback REVISION="":
    ./scripts/minikube.sh rollback {{REVISION}}

# Remove the release (the Secret stays).
uninstall:
    ./scripts/minikube.sh uninstall

# Print the frontend's URL.
url:
    ./scripts/minikube.sh url

# Both kagent passes: pod stability, then resource right-sizing.
health:
    ./scripts/minikube.sh health
