import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useEffect, useState} from 'preact/hooks';
import {ThankYouView} from './views.jsx';

const BACKEND = process.env.SADAKAT_PUBLIC_URL;
const TRIES = 4; // the order may reach Sadakat a few seconds after the page opens

export default async () => {
  render(<ThankYou />, document.body);
};

async function points(order) {
  const token = await shopify.sessionToken.get();
  const response = await fetch(`${BACKEND}/api/checkout/points?order=${encodeURIComponent(order)}`, {
    headers: {Authorization: `Bearer ${token}`},
  });
  if (!response.ok) {
    throw new Error(`HTTP ${response.status}`);
  }
  return response.json();
}

function ThankYou() {
  const t = (key, values) => shopify.i18n.translate(key, values);
  const [state, setState] = useState({kind: 'loading'});
  useEffect(() => {
    const order = shopify.orderConfirmation.value.order.id;
    let tries = 0;
    const ask = () =>
      points(order)
        .then((data) => {
          if (data.points == null && ++tries < TRIES) {
            setTimeout(ask, 2000);
          } else {
            setState({kind: 'done', data});
          }
        })
        .catch(() => setState({kind: 'error'}));
    ask();
  }, []);
  return <ThankYouView state={state} t={t} />;
}
