// What the thank-you block shows in each state (loading, estimated, pending, error), as a pure view.

export function ThankYouView({state, t}) {
  if (state.kind === 'loading') {
    return <s-text>{t('loading')}</s-text>;
  }
  if (state.kind === 'error' || state.data.points == null) {
    return <s-banner heading={t('title')}><s-text>{t('pending')}</s-text></s-banner>;
  }
  const {points, guest} = state.data;
  return (
    <s-banner heading={t('title')} tone="success">
      <s-text>{t('earns', {points})}</s-text>
      {guest ? <s-text>{t('guest')}</s-text> : null}
    </s-banner>
  );
}
