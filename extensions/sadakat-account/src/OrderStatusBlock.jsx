import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useEffect, useState} from 'preact/hooks';
import {call} from './backend.js';
import {OrderStatusView} from './views.jsx';

export default async () => {
  render(<OrderStatusBlock />, document.body);
};

function OrderStatusBlock() {
  const t = (key, values) => shopify.i18n.translate(key, values);
  const [state, setState] = useState({kind: 'loading'});
  useEffect(() => {
    const id = String(shopify.order.value.id).replace('gid://shopify/Order/', '');
    call(`/api/customer-account/orders/${encodeURIComponent(id)}/points`)
      .then((data) => setState({kind: 'member', data}))
      .catch(() => setState({kind: 'error'}));
  }, []);
  return <OrderStatusView state={state} t={t} />;
}
