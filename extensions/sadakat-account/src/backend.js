// Calls to Sadakat's backend with the customer's Shopify session token (the only proof it takes).
export const BACKEND = process.env.SADAKAT_PUBLIC_URL;

export async function call(path, options = {}) {
  const token = await shopify.sessionToken.get();
  const response = await fetch(`${BACKEND}${path}`, {
    ...options,
    headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.error || `HTTP ${response.status}`);
  }
  return body;
}

export function newKey() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
