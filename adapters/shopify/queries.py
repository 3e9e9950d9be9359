"""Every GraphQL document Sadakat sends to Shopify (Admin API 2026-01), each validated by a test."""

API_VERSION = "2026-01"

SHOP_CURRENCY = """
query ShopCurrency {
  shop {
    currencyCode
    email
  }
}
"""

CODE_DISCOUNT_BY_CODE = """
query CodeDiscountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
  }
}
"""

DISCOUNT_CODE_DEACTIVATE = """
mutation DiscountCodeDeactivate($id: ID!) {
  discountCodeDeactivate(id: $id) {
    codeDiscountNode {
      id
    }
    userErrors {
      field
      code
      message
    }
  }
}
"""

DISCOUNT_CODE_BASIC_CREATE = """
mutation DiscountCodeBasicCreate($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) {
    codeDiscountNode {
      id
    }
    userErrors {
      field
      code
      message
    }
  }
}
"""

DISCOUNT_CODE_FREE_SHIPPING_CREATE = """
mutation DiscountCodeFreeShippingCreate($discount: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $discount) {
    codeDiscountNode {
      id
    }
    userErrors {
      field
      code
      message
    }
  }
}
"""

FULFILLMENT_TRACKING_INFO_UPDATE = """
mutation FulfillmentTrackingInfoUpdate(
  $fulfillmentId: ID!
  $trackingInfo: FulfillmentTrackingInput!
  $notifyCustomer: Boolean
) {
  fulfillmentTrackingInfoUpdate(
    fulfillmentId: $fulfillmentId
    trackingInfoInput: $trackingInfo
    notifyCustomer: $notifyCustomer
  ) {
    fulfillment {
      id
    }
    userErrors {
      field
      message
    }
  }
}
"""

FULFILLMENT_EVENT_CREATE = """
mutation FulfillmentEventCreate($event: FulfillmentEventInput!) {
  fulfillmentEventCreate(fulfillmentEvent: $event) {
    fulfillmentEvent {
      id
      status
    }
    userErrors {
      field
      message
    }
  }
}
"""

METAFIELDS_SET = """
mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields {
      id
    }
    userErrors {
      field
      code
      message
    }
  }
}
"""

SHOP_ID = """
query ShopId {
  shop {
    id
  }
}
"""

TAGS_ADD = """
mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    userErrors {
      field
      message
    }
  }
}
"""

TAGS_REMOVE = """
mutation TagsRemove($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) {
    userErrors {
      field
      message
    }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes {
      id
      topic
      uri
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription {
      id
      topic
      uri
    }
    userErrors {
      field
      message
    }
  }
}
"""

STORE_CREDIT_ACCOUNT_CREDIT = """
mutation StoreCreditAccountCredit($id: ID!, $creditInput: StoreCreditAccountCreditInput!, $key: String!) {
  storeCreditAccountCredit(id: $id, creditInput: $creditInput) @idempotent(key: $key) {
    storeCreditAccountTransaction {
      id
      amount { amount currencyCode }
      account { id balance { amount currencyCode } }
    }
    userErrors {
      field
      code
      message
    }
  }
}
"""

STORE_CREDIT_ACCOUNT_DEBIT = """
mutation StoreCreditAccountDebit($id: ID!, $debitInput: StoreCreditAccountDebitInput!, $key: String!) {
  storeCreditAccountDebit(id: $id, debitInput: $debitInput) @idempotent(key: $key) {
    storeCreditAccountTransaction {
      id
      amount { amount currencyCode }
      account { id balance { amount currencyCode } }
    }
    userErrors {
      field
      code
      message
    }
  }
}
"""

CUSTOMER_STORE_CREDIT = """
query CustomerStoreCredit($id: ID!, $query: String!) {
  customer(id: $id) {
    id
    storeCreditAccounts(first: 1, query: $query) {
      nodes { id balance { amount currencyCode } }
    }
  }
}
"""

MONEY = "shopMoney { amount currencyCode }"
ORDERS = (
    """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {
      legacyResourceId
      name
      createdAt
      updatedAt
      cancelledAt
      test
      email
      taxesIncluded
      displayFinancialStatus
      discountCodes
      currencyCode
      subtotalPriceSet { MONEY }
      totalPriceSet { MONEY }
      totalShippingPriceSet { MONEY }
      totalTaxSet { MONEY }
      customer { legacyResourceId email firstName lastName }
      refunds(first: 50) {
        legacyResourceId
        createdAt
        refundLineItems(first: 100) { nodes { subtotalSet { MONEY } } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
).replace("MONEY", MONEY)

FLOW_TRIGGER_RECEIVE = """
mutation FlowTriggerReceive($handle: String!, $payload: JSON!) {
  flowTriggerReceive(handle: $handle, payload: $payload) {
    userErrors {
      field
      message
    }
  }
}
"""

ALL_DOCUMENTS = {
    name: value for name, value in dict(globals()).items() if name.isupper() and name not in ("API_VERSION", "MONEY")
}
