"""Junos AS/MS PIC IPsec (`[edit services ipsec-vpn]`, service sets, access profiles).

Modules: defaults (Tables 55/56, key tables 53/54), config (typed view of the active tree),
checks (commit checks), compile (config -> runtime TunnelSpecs), shows (record trees and text
layouts), handlers (operational commands), hooks (device.on_commit).
"""
