# Operator verbs: provision a host with Ansible and check it with testinfra.
#   make deploy HOST=server DOMAIN=call.example.org [EMAIL=you@example.org] \
#               [TLS=selfsigned|letsencrypt] [INVENTORY=hosts.yml]
#   make verify HOST=server [INVENTORY=hosts.yml] [VISAVIS_VERIFY_CA_FILE=ca.pem]
# Settings given on the command line win over the inventory's; the others keep their
# defaults (infra/ansible/inventory/example/group_vars/visavis.yml lists every one).

ANSIBLE_DIR := infra/ansible
VERIFY_DIR := infra/verify
SSH_USER ?= root

# The deployment tests boot Debian 12 and 13 images (debootstrap, systemd-nspawn), run a local
# ACME server (pebble) and check rendered nginx configurations (nginx -t).
# TURN over TLS on 443 needs nginx's stream module (Debian: libnginx-mod-stream).
TEST_APT_PACKAGES += debootstrap systemd-container pebble nginx-light libnginx-mod-stream \
  openssh-client
TEST_COMMANDS += debootstrap systemd-nspawn pebble pebble-challtestsrv nginx ssh
TEST_FILES += /usr/lib/nginx/modules/ngx_stream_module.so

# An inventory file when given, else a one-host inventory made of HOST.
deploy_inventory = $(if $(INVENTORY),$(abspath $(INVENTORY)),$(HOST),)
deploy_vars = $(if $(DOMAIN),--extra-vars 'visavis_domain=$(DOMAIN)') \
  $(if $(TLS),--extra-vars 'visavis_tls_mode=$(TLS)') \
  $(if $(EMAIL),--extra-vars 'visavis_letsencrypt_email=$(EMAIL)')

.PHONY: deploy verify

# Only what deploying and verifying need (the `deploy` extra), not the test tools.
$(VENV)/.deploy: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[deploy]'
	touch $@

deploy: $(VENV)/.deploy
	@test -n "$(HOST)" || { echo "usage: make deploy HOST=server DOMAIN=call.example.org [EMAIL=you@example.org] [TLS=selfsigned|letsencrypt] [INVENTORY=hosts.yml]"; exit 2; }
	cd $(ANSIBLE_DIR) && ANSIBLE_CONFIG=ansible.cfg $(abspath $(VENV))/bin/ansible-playbook \
	  --inventory '$(deploy_inventory)' --limit '$(HOST)' \
	  $(deploy_vars) site.yml

# sslyze, the TLS scanner verify runs, in a virtualenv of its own (its cryptography pin
# conflicts with the service's): infra/verify/sslyze-constraints.txt.
SSLYZE_VENV := $(VENV)/sslyze
$(SSLYZE_VENV)/.installed: infra/verify/sslyze-constraints.txt
	$(PYTHON) -m venv $(SSLYZE_VENV)
	$(SSLYZE_VENV)/bin/pip install --quiet -c infra/verify/sslyze-constraints.txt sslyze
	touch $@

verify: $(VENV)/.deploy $(SSLYZE_VENV)/.installed
	@test -n "$(HOST)" || { echo "usage: make verify HOST=server [INVENTORY=hosts.yml]"; exit 2; }
	VISAVIS_SSLYZE='$(abspath $(SSLYZE_VENV))/bin/sslyze' \
	VISAVIS_VERIFY_CA_FILE='$(if $(VISAVIS_VERIFY_CA_FILE),$(abspath $(VISAVIS_VERIFY_CA_FILE)))' \
	PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) -m pytest -p no:cacheprovider --rootdir $(VERIFY_DIR) -c /dev/null $(VERIFY_DIR) \
	  $(if $(INVENTORY),--hosts 'ansible://$(HOST)' --ansible-inventory '$(abspath $(INVENTORY))',--hosts 'ssh://$(SSH_USER)@$(HOST)') \
	  -v

# Hosts on a deployed server (VISAVIS_ACCESS=hosts), through the same SSH access as deploy:
#   make enrol HOST=server [NAME="Ana"] [HOURS=24] [INVENTORY=hosts.yml]   prints a one-time link
#   make hosts HOST=server [INVENTORY=hosts.yml]                            lists the hosts
#   make remove-host HOST=server ID=<id from make hosts> [INVENTORY=hosts.yml]
# Each runs `python -m signaling ...` on the host as the service's user, with its environment.
.PHONY: enrol hosts remove-host
host_command = cd / && set -a && . /etc/visavis/signaling.env && set +a && \
  exec runuser -u visavis -- /opt/visavis/venv/bin/python -m signaling
define on_host
	@test -n "$(HOST)" || { echo "usage: make $@ HOST=server [INVENTORY=hosts.yml] ..."; exit 2; }
	@set -o pipefail; cd $(ANSIBLE_DIR) && ANSIBLE_CONFIG=ansible.cfg ANSIBLE_LOAD_CALLBACK_PLUGINS=1 \
	  ANSIBLE_STDOUT_CALLBACK=ansible.builtin.minimal $(abspath $(VENV))/bin/ansible '$(HOST)' \
	  --inventory '$(deploy_inventory)' -m ansible.builtin.shell -a '$(host_command) $(1)' \
	  | sed -e '1{/ | CHANGED | rc=0 >>$$/d}'
endef

enrol: $(VENV)/.deploy
	$(call on_host,enrol --name "$(or $(NAME),host)" --hours $(or $(HOURS),24))

hosts: $(VENV)/.deploy
	$(call on_host,hosts)

remove-host: $(VENV)/.deploy
	@test -n "$(ID)" || { echo "usage: make remove-host HOST=server ID=<id from make hosts>"; exit 2; }
	$(call on_host,remove-host "$(ID)")
