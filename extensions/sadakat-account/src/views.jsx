// What the customer account blocks show in each state (loading, member, guest, error), as pure views:
// `t` is shopify.i18n.translate; the entry modules fetch and hold the state.

export function ProfileView({state, t, confirming, onAsk, onRedeem, onCancel}) {
  if (state.kind === 'loading') {
    return <s-section heading={t('title')}><s-text>{t('loading')}</s-text></s-section>;
  }
  if (state.kind === 'error') {
    return <s-section heading={t('title')}><s-banner tone="critical">{t('error')}</s-banner></s-section>;
  }
  const {data, notice} = state;
  const member = data.member;
  return (
    <s-section heading={t('title')}>
      <s-stack gap="base">
        {notice ? <s-banner tone="success">{notice}</s-banner> : null}
        <s-heading>{t('points', {count: data.points})}</s-heading>
        {member && member.tier ? <s-text>{t('tier', {tier: member.tier})}</s-text> : null}
        {member && member.progress ? <s-text>{member.progress}</s-text> : null}
        {member ? null : <s-text>{t('guest')}</s-text>}
        {data.programme.earn.map((line) => <s-text key={line}>{line}</s-text>)}
        {member && member.options.length ? (
          <s-stack gap="small">
            <s-heading>{t('redeem_title')}</s-heading>
            {member.options.map((option) =>
              confirming === option.points ? (
                <s-stack key={option.points} direction="inline" gap="small">
                  <s-text>{t('confirm', {points: option.points, value: option.value})}</s-text>
                  <s-button variant="primary" onClick={() => onRedeem(option.points)}>{t('confirm_yes')}</s-button>
                  <s-button onClick={onCancel}>{t('confirm_no')}</s-button>
                </s-stack>
              ) : (
                <s-button key={option.points} onClick={() => onAsk(option.points)}>
                  {t(data.reward === 'store_credit' ? 'redeem_credit' : 'redeem_code', {points: option.points, value: option.value})}
                </s-button>
              ),
            )}
          </s-stack>
        ) : null}
        {member && member.codes.length ? (
          <s-stack gap="small">
            <s-heading>{t('codes_title')}</s-heading>
            {member.codes.map((code) => <s-text key={code.code}>{code.code} · {code.worth}</s-text>)}
          </s-stack>
        ) : null}
        {member && member.credits.length ? (
          <s-stack gap="small">
            <s-heading>{t('credits_title')}</s-heading>
            {member.credits.map((credit, n) => (
              <s-text key={n}>{t(credit.given ? 'credit_given' : 'credit_taken', {amount: credit.amount})}</s-text>
            ))}
          </s-stack>
        ) : null}
        {data.referral_url ? (
          <s-stack gap="small">
            <s-heading>{t('referral_title')}</s-heading>
            <s-text>{data.referral_url}</s-text>
            <s-clipboard-item id="sadakat-referral" text={data.referral_url}></s-clipboard-item>
            <s-button commandFor="sadakat-referral">{t('copy')}</s-button>
          </s-stack>
        ) : null}
      </s-stack>
    </s-section>
  );
}

export function OrderStatusView({state, t}) {
  if (state.kind === 'loading') {
    return <s-text>{t('loading')}</s-text>;
  }
  if (state.kind === 'error') {
    return <s-banner tone="critical">{t('error')}</s-banner>;
  }
  const {points, status} = state.data;
  if (status === 'earned') {
    return <s-banner tone="success">{t('order_earned', {points})}</s-banner>;
  }
  if (status === 'reversed') {
    return <s-banner>{t('order_reversed')}</s-banner>;
  }
  return <s-banner>{t('order_pending')}</s-banner>;
}
