#!/bin/sh
# packaging/prometheus checked by the engines that will load it: promtool check rules, the
# rules' unit tests (promtool test rules), the example scrape configuration (promtool check
# config, its /etc paths pointed at this tree) and the Alertmanager example (amtool).
# Exit 77 (skipped) only when promtool or amtool is missing (tools/install-deps.sh installs
# Debian's prometheus and prometheus-alertmanager).
set -eu
dir=$1
for tool in promtool amtool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool not installed (Debian packages prometheus, prometheus-alertmanager; tools/install-deps.sh)"
    exit 77
  fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir"
promtool check rules carekeep.rules.yml
promtool test rules carekeep.rules.test.yml
echo "0123456789abcdef0123456789abcdef" > "$tmp/token"
sed -e "s|/etc/prometheus/carekeep.rules.yml|$dir/carekeep.rules.yml|" \
    -e "s|/etc/prometheus/carekeep-metrics.token|$tmp/token|" \
    -e "s|/etc/prometheus/carekeep/targets/|$dir/targets/|" prometheus.yml.example > "$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"
amtool check-config alertmanager.yml.example
for f in targets/*.json; do python3 -m json.tool "$f" >/dev/null; done
echo "packaging/prometheus: rules, rule tests, scrape and alertmanager examples OK"
