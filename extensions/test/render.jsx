// The extensions' views rendered to HTML, for the tests (Node can't render web components in a DOM).
import {render} from 'preact-render-to-string';
import {OrderStatusView, ProfileView} from '../sadakat-account/src/views.jsx';
import {ThankYouView} from '../sadakat-thank-you/src/views.jsx';

export const profile = (state, t, confirming = null) =>
  render(<ProfileView state={state} t={t} confirming={confirming} onAsk={() => {}} onRedeem={() => {}} onCancel={() => {}} />);
export const orderStatus = (state, t) => render(<OrderStatusView state={state} t={t} />);
export const thankYou = (state, t) => render(<ThankYouView state={state} t={t} />);
