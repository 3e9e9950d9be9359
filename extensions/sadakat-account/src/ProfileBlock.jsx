import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useEffect, useState} from 'preact/hooks';
import {call, newKey} from './backend.js';
import {ProfileView} from './views.jsx';

export default async () => {
  render(<ProfileBlock />, document.body);
};

function ProfileBlock() {
  const t = (key, values) => shopify.i18n.translate(key, values);
  const [state, setState] = useState({kind: 'loading'});
  const [confirming, setConfirming] = useState(null);
  const load = (notice) =>
    call('/api/customer-account/rewards')
      .then((data) => setState({kind: 'member', data, notice}))
      .catch(() => setState({kind: 'error'}));
  useEffect(() => {
    load();
  }, []);
  const redeem = async (points) => {
    setConfirming(null);
    try {
      const done = await call('/api/customer-account/redeem', {method: 'POST', body: JSON.stringify({points, key: newKey()})});
      const notice = done.reward === 'store_credit'
        ? t('credit_added', {amount: `${done.amount} ${done.currency}`})
        : t('code_made', {code: done.code});
      await load(notice);
    } catch {
      setState({kind: 'error'});
    }
  };
  return <ProfileView state={state} t={t} confirming={confirming} onAsk={setConfirming} onRedeem={redeem} onCancel={() => setConfirming(null)} />;
}
