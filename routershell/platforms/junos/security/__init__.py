"""Junos ES PIC IPsec ([edit security ipsec|ike], es- interfaces, ipsec-sa on firewall filters
and routing protocols): typed configuration view and commit checks."""
