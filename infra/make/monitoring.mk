# tests/monitoring checks infra/monitoring/ with Debian's prometheus packages: promtool for
# the rules' unit tests, a Prometheus the tests start on loopback against a test server, and
# the node exporter whose series the relay alerts read.
TEST_APT_PACKAGES += prometheus prometheus-node-exporter
TEST_COMMANDS += prometheus promtool prometheus-node-exporter

# Both packages enable and start a service of their own (on :9090 and :9100). The tests
# start their own processes, so when `make test` is the one installing a package, mask its
# unit before apt-get runs (systemd never starts it; the postinst keeps a mask it did not
# make) and, on a machine without systemd, stop and disable the init script the postinst
# started. A package installed before is yours and stays as it is.
PACKAGED_SERVICES := prometheus prometheus-node-exporter
.PHONY: mask-packaged-monitoring packaged-monitoring-stopped
system-test-deps: mask-packaged-monitoring
test: packaged-monitoring-stopped

mask-packaged-monitoring:
	@for service in $(PACKAGED_SERVICES); do \
	  if ! command -v $$service >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    mkdir -p /etc/systemd/system && \
	    ln -sf /dev/null /etc/systemd/system/$$service.service && \
	    echo "Masked $$service.service: the tests start their own"; \
	  fi; \
	done

packaged-monitoring-stopped: system-test-deps
	@for service in $(PACKAGED_SERVICES); do \
	  if [ "$$(readlink /etc/systemd/system/$$service.service)" = /dev/null ] \
	      && [ ! -d /run/systemd/system ] && [ -x /etc/init.d/$$service ] \
	      && /etc/init.d/$$service status >/dev/null 2>&1; then \
	    /etc/init.d/$$service stop && update-rc.d $$service disable >/dev/null 2>&1; \
	    echo "Stopped the packaged $$service service: the tests start their own"; \
	  fi; \
	done
