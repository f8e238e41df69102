# docker compose: `make compose-config` renders nginx's site, coturn's configuration and the
# signaling environment into compose/rendered/ from the templates the Ansible roles use
# (infra/render.yml, compose/signaling-env.yml), with the values in .env. ansible-playbook
# comes from the project's virtualenv, installed as for `make deploy`.
#   make compose-config [COMPOSE_ENV=.env] [COMPOSE_RENDERED=compose/rendered]
.PHONY: compose-config

# tests/compose runs compose's certbot script with Debian's certbot against a local pebble.
TEST_APT_PACKAGES += certbot
TEST_COMMANDS += certbot

COMPOSE_ENV ?= .env
COMPOSE_RENDERED ?= compose/rendered

compose-config: $(VENV)/.deploy
	$(PY) compose/render.py --env-file '$(COMPOSE_ENV)' --output '$(COMPOSE_RENDERED)' \
	  --ansible-playbook '$(abspath $(VENV))/bin/ansible-playbook'
