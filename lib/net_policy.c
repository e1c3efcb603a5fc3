/*
 * net_policy: addresses a webhook may reach (see net_policy.h).
 */
#include "net_policy.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void net_policy_init(struct net_policy *policy)
{
    memset(policy, 0, sizeof *policy);
}

static bool net_prefix_matches(const unsigned char *address, const unsigned char *network,
                               int prefix)
{
    int whole = prefix / 8, rest = prefix % 8;
    if (memcmp(address, network, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (address[whole] & mask) == (network[whole] & mask);
}

int net_policy_allow(struct net_policy *policy, const char *cidr, struct ccm_error *error)
{
    char address[64];
    const char *slash = strchr(cidr, '/');
    size_t length = slash ? (size_t)(slash - cidr) : strlen(cidr);
    unsigned char bytes[16] = {0};
    enum net_family family;
    long prefix;
    char *end;

    if (policy->count >= NET_POLICY_MAX)
        return ccm_error_set(error, "at most %d allowed networks", NET_POLICY_MAX);
    if (length == 0 || length >= sizeof address)
        return ccm_error_set(error, "\"%.64s\" is not an address or CIDR network", cidr);
    memcpy(address, cidr, length);
    address[length] = '\0';
    if (inet_pton(AF_INET, address, bytes) == 1)
        family = NET_IPV4;
    else if (inet_pton(AF_INET6, address, bytes) == 1)
        family = NET_IPV6;
    else
        return ccm_error_set(error, "\"%.64s\" is not an IPv4 or IPv6 address", address);
    prefix = family == NET_IPV4 ? 32 : 128;
    if (slash) {
        prefix = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || prefix < 0 || prefix > (family == NET_IPV4 ? 32 : 128))
            return ccm_error_set(error, "\"%.64s\": the prefix length must be 0-%d", cidr,
                                 family == NET_IPV4 ? 32 : 128);
    }
    policy->allowed[policy->count].family = family;
    memcpy(policy->allowed[policy->count].bytes, bytes, sizeof bytes);
    policy->allowed[policy->count].prefix = (int)prefix;
    policy->count++;
    return 0;
}

static const struct {
    unsigned char bytes[4];
    int prefix;
    const char *why;
} net_ipv4_special[] = {
    {{0, 0, 0, 0}, 8, "unspecified"},
    {{10, 0, 0, 0}, 8, "private"},
    {{100, 64, 0, 0}, 10, "shared (carrier-grade NAT)"},
    {{127, 0, 0, 0}, 8, "loopback"},
    {{169, 254, 0, 0}, 16, "link-local (cloud metadata)"},
    {{172, 16, 0, 0}, 12, "private"},
    {{192, 0, 0, 0}, 24, "reserved (IETF protocol assignments)"},
    {{192, 168, 0, 0}, 16, "private"},
    {{198, 18, 0, 0}, 15, "reserved (benchmarking)"},
    {{224, 0, 0, 0}, 4, "multicast"},
    {{240, 0, 0, 0}, 4, "reserved"},
};

static const struct {
    unsigned char bytes[16];
    int prefix;
    const char *why;
} net_ipv6_special[] = {
    {{0}, 128, "unspecified"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
    {{0xfc}, 7, "private (unique local; cloud metadata)"},
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfe, 0xc0}, 10, "site-local"},
    {{0xff}, 8, "multicast"},
};

const char *net_address_restriction(enum net_family family, const unsigned char *bytes)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};

    if (family == NET_IPV6 &&
        (memcmp(bytes, mapped, sizeof mapped) == 0 || memcmp(bytes, nat64, sizeof nat64) == 0))
        return net_address_restriction(NET_IPV4, bytes + 12);
    if (family == NET_IPV4) {
        for (size_t i = 0; i < sizeof net_ipv4_special / sizeof net_ipv4_special[0]; i++)
            if (net_prefix_matches(bytes, net_ipv4_special[i].bytes, net_ipv4_special[i].prefix))
                return net_ipv4_special[i].why;
        return NULL;
    }
    for (size_t i = 0; i < sizeof net_ipv6_special / sizeof net_ipv6_special[0]; i++)
        if (net_prefix_matches(bytes, net_ipv6_special[i].bytes, net_ipv6_special[i].prefix))
            return net_ipv6_special[i].why;
    return NULL;
}

const char *net_policy_refusal(const struct net_policy *policy, enum net_family family,
                               const unsigned char *bytes)
{
    const char *why = net_address_restriction(family, bytes);
    if (!why)
        return NULL;
    for (size_t i = 0; i < policy->count; i++)
        if (policy->allowed[i].family == family &&
            net_prefix_matches(bytes, policy->allowed[i].bytes, policy->allowed[i].prefix))
            return NULL;
    return why;
}
