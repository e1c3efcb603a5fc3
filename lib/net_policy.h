/*
 * net_policy: which addresses a webhook may connect to. Owns struct net_policy:
 * the operator's allow-list of networks (--webhook-allow CIDR). Loopback,
 * private, shared (CGNAT), link-local (which holds the cloud metadata services
 * at 169.254.169.254 and fd00:ec2::254), multicast, unspecified and reserved
 * addresses are refused unless a listed network holds them; IPv4-mapped and
 * NAT64 IPv6 addresses are judged by the IPv4 address inside. The daemon applies
 * this to the address it actually connects to (after DNS, on every attempt), so
 * a name that resolves to an internal address, or starts to, is refused too.
 */
#ifndef CCM_NET_POLICY_H
#define CCM_NET_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "ccm_error.h"

#define NET_POLICY_MAX 64

enum net_family {
    NET_IPV4 = 4,
    NET_IPV6 = 6,
};

struct net_policy {
    size_t count;
    struct {
        enum net_family family;
        unsigned char bytes[16];
        int prefix;
    } allowed[NET_POLICY_MAX];
};

void net_policy_init(struct net_policy *policy);

/* Add "10.1.2.0/24", "192.168.1.10" (a /32), "fd12::/16" or "::1". */
int net_policy_allow(struct net_policy *policy, const char *cidr, struct ccm_error *error);

/* NULL when a connection to the address may go ahead, else why not
 * ("loopback", "private", ...). bytes: 4 for IPv4, 16 for IPv6, network order. */
const char *net_policy_refusal(const struct net_policy *policy, enum net_family family,
                               const unsigned char *bytes);

/* What kind of special address this is, or NULL for an ordinary public one. */
const char *net_address_restriction(enum net_family family, const unsigned char *bytes);

#endif
