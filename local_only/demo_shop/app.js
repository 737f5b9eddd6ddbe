// The demo shop: a single-page app over /catalogue.json, instrumented only through the tracker's public API
// (window.Clickstream, docs/tracker.md). Routes are the simulator's URLs (local_only/simulator/behaviour.py), so a
// visit here and the synthetic traffic land in the same marts the same way.
'use strict';

(() => {
  const config = JSON.parse(document.getElementById('shop-config').textContent);
  // The tracker may be missing (the collector down, the script blocked): the shop works without it.
  const noop = () => undefined;
  const cs = window.Clickstream || new Proxy({}, { get: () => noop });
  const main = document.getElementById('main');
  const SUFFIX = ' | Example Tech Shop';
  const CURRENCY = 'USD';
  const KEYS = { cart: 'shop_cart', user: 'shop_user', consent: 'shop_consent', orders: 'shop_orders' };

  let catalogue = { categories: [], products: [] };
  let bySlug = new Map();
  let byId = new Map();

  // ---------- the shop's own state (localStorage; the tracker keeps its own, see docs/tracker.md)

  const read = (key, fallback) => {
    try {
      const value = JSON.parse(localStorage.getItem(key));
      return value == null ? fallback : value;
    } catch {
      return fallback;
    }
  };
  const write = (key, value) => {
    try {
      if (value == null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* private mode or full: the shop carries on for this page */
    }
  };

  const cartLines = () =>
    read(KEYS.cart, []).filter((line) => byId.has(line.id) && line.quantity > 0);
  const saveCart = (lines) => {
    write(KEYS.cart, lines);
    document.getElementById('cart-count').textContent = String(lines.reduce((n, line) => n + line.quantity, 0));
  };
  const user = () => read(KEYS.user, null);

  // ---------- money and products

  const paid = (product) => (product.discountPrice != null ? product.discountPrice : product.price);
  const money = (amount) => amount.toLocaleString('en-US', { style: 'currency', currency: CURRENCY });
  const cents = (amount) => Math.round(amount * 100);
  const cartValue = (lines) =>
    lines.reduce((total, line) => total + cents(paid(byId.get(line.id))) * line.quantity, 0) / 100;
  // What the tracker's product helpers take (docs/tracker.md): the contract's product fields only.
  const eventProduct = (p) => {
    const product = { id: p.id, name: p.name, category: p.category, brand: p.brand, price: p.price };
    if (p.discountPrice != null) product.discountPrice = p.discountPrice;
    return product;
  };
  const categoryTitle = (id) => (catalogue.categories.find((c) => c.id === id) || { title: id }).title;

  // A stable, opaque user id from the e-mail address: the address itself never goes to the collector.
  const userIdFor = (email) => {
    let hash = 0x811c9dc5;
    for (const char of email.trim().toLowerCase()) {
      hash ^= char.codePointAt(0);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return 'user-' + hash.toString(16).padStart(8, '0');
  };
  const orderId = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(6));
    return 'SO-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  };

  // ---------- rendering

  const h = (tag, attributes = {}, ...children) => {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value == null || value === false) continue;
      if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child != null && child !== false) element.append(child instanceof Node ? child : String(child));
    }
    return element;
  };

  const priceTag = (p) =>
    p.discountPrice != null
      ? h('span', { class: 'price' }, h('s', {}, money(p.price)), ' ', h('strong', {}, money(p.discountPrice)))
      : h('span', { class: 'price' }, h('strong', {}, money(p.price)));

  const card = (p) =>
    h(
      'li',
      { class: 'card' },
      h('a', { href: '/product/' + p.slug, class: 'product-link' }, h('span', { class: 'thumb' }, p.brand), p.name),
      h('span', { class: 'meta' }, categoryTitle(p.category)),
      priceTag(p),
    );

  const grid = (products) =>
    products.length ? h('ul', { class: 'grid' }, products.map(card)) : h('p', {}, 'Nothing here yet.');

  const page = (title, ...content) => {
    document.title = title + SUFFIX;
    main.replaceChildren(h('h1', {}, title), ...content);
  };

  // Each view renders the page (title first: the tracker's page_view reads it) and returns what to report once the
  // page view is recorded (the product view, ...), or nothing.
  const views = {
    home() {
      const deals = catalogue.products.filter((p) => p.discountPrice != null).slice(0, 8);
      page(
        'Computers, Laptops & Accessories',
        h(
          'ul',
          { class: 'tiles' },
          catalogue.categories.map((c) => h('li', {}, h('a', { href: '/category/' + c.id }, c.title))),
        ),
        h('h2', {}, "Today's deals"),
        grid(deals),
      );
    },

    category(id) {
      if (!catalogue.categories.some((c) => c.id === id)) return views.missing();
      page(categoryTitle(id), grid(catalogue.products.filter((p) => p.category === id)));
    },

    deals() {
      page("Today's Deals", grid(catalogue.products.filter((p) => p.discountPrice != null)));
    },

    product(slug) {
      const p = bySlug.get(slug);
      if (!p) return views.missing();
      const quantity = h(
        'select',
        { id: 'quantity', 'aria-label': 'Quantity' },
        [1, 2, 3, 4].map((n) => h('option', { value: n }, n)),
      );
      const add = () => {
        const n = Number(quantity.value) || 1;
        const lines = cartLines();
        const line = lines.find((l) => l.id === p.id);
        if (line) line.quantity += n;
        else lines.push({ id: p.id, quantity: n });
        saveCart(lines);
        cs.addToCart(eventProduct(p), n);
        status.textContent = `Added ${n} to your cart.`;
      };
      const status = h('p', { class: 'status', role: 'status', id: 'added' });
      document.title = p.name + SUFFIX;
      main.replaceChildren(
        h('p', { class: 'crumbs' }, h('a', { href: '/category/' + p.category }, categoryTitle(p.category))),
        h(
          'article',
          { class: 'product' },
          h('div', { class: 'thumb big' }, p.brand),
          h(
            'div',
            {},
            h('h1', {}, p.name),
            h('p', { class: 'meta' }, `${p.brand} · ${categoryTitle(p.category)} · ${p.id}`),
            h('p', {}, priceTag(p)),
            h('p', {}, quantity, ' ', h('button', { type: 'button', id: 'add-to-cart', onclick: add }, 'Add to cart')),
            status,
          ),
        ),
      );
      return () => cs.viewProduct(eventProduct(p));
    },

    search(params) {
      const query = (params.get('q') || '').trim();
      const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
      // The products matching the most terms, best first: "wireless mouse" still finds mice.
      const scored = catalogue.products.map((p) => {
        const text = `${p.name} ${p.brand} ${p.category} ${categoryTitle(p.category)}`.toLowerCase();
        return [terms.filter((term) => text.includes(term)).length, p];
      });
      const best = Math.max(0, ...scored.map(([score]) => score));
      const found = best ? scored.filter(([score]) => score === best).map(([, p]) => p) : [];
      document.getElementById('search-input').value = query;
      page(`Results for "${query}"`, h('p', { class: 'meta' }, `${found.length} products`), grid(found));
    },

    cart() {
      const lines = cartLines();
      const remove = (line) => () => {
        saveCart(cartLines().filter((l) => l.id !== line.id));
        cs.removeFromCart(eventProduct(byId.get(line.id)), line.quantity);
        views.cart();
      };
      const checkout = () => {
        const now = cartLines();
        cs.beginCheckout({ value: cartValue(now), currency: CURRENCY, itemCount: now.length });
        navigate('/checkout');
      };
      page(
        'Your Cart',
        lines.length
          ? h(
              'table',
              { class: 'lines' },
              lines.map((line) => {
                const p = byId.get(line.id);
                return h(
                  'tr',
                  {},
                  h('td', {}, h('a', { href: '/product/' + p.slug }, p.name)),
                  h('td', {}, `× ${line.quantity}`),
                  h('td', { class: 'num' }, money(paid(p) * line.quantity)),
                  h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: remove(line) }, 'Remove')),
                );
              }),
              h('tr', { class: 'total' }, h('td', {}, 'Total'), h('td'), h('td', { class: 'num' }, money(cartValue(lines))), h('td')),
            )
          : h('p', {}, 'Your cart is empty.'),
        lines.length ? h('button', { type: 'button', id: 'checkout', onclick: checkout }, 'Check out') : null,
      );
    },

    checkout() {
      const lines = cartLines();
      if (!lines.length) return views.cart();
      const who = user();
      const place = (event) => {
        event.preventDefault();
        const now = cartLines();
        const order = {
          id: orderId(),
          revenue: cartValue(now),
          currency: CURRENCY,
          items: now.map((l) => ({ productId: l.id, quantity: l.quantity, price: paid(byId.get(l.id)) })),
        };
        cs.purchase(order);
        write(KEYS.orders, [{ ...order, at: new Date().toISOString() }, ...read(KEYS.orders, [])].slice(0, 20));
        saveCart([]);
        navigate('/checkout/confirmation?order=' + encodeURIComponent(order.id));
      };
      page(
        'Checkout',
        who
          ? h('p', {}, `Signed in as ${who.email}.`)
          : h('p', {}, h('a', { href: '/login?next=/checkout', id: 'checkout-sign-in' }, 'Sign in'), ' or check out as a guest.'),
        h(
          'form',
          { id: 'checkout-form', onsubmit: place },
          h('label', {}, 'Name ', h('input', { name: 'name', required: true, value: who ? who.email.split('@')[0] : '' })),
          h('label', {}, 'Address ', h('input', { name: 'address', required: true, value: '1 Demo Street' })),
          h('label', {}, 'Card ', h('input', { name: 'card', value: '4242 4242 4242 4242', readonly: true })),
          h('p', {}, `${lines.length} products, ${money(cartValue(lines))}`),
          h('button', { type: 'submit', id: 'place-order' }, 'Place order'),
        ),
      );
    },

    confirmation(params) {
      const id = params.get('order') || '';
      const order = read(KEYS.orders, []).find((o) => o.id === id);
      if (!order) return views.missing();
      page(
        'Thank you for your order',
        h('p', {}, 'Order ', h('strong', { id: 'order-id' }, order.id), ` for ${money(order.revenue)} is on its way (not really).`),
        h('p', {}, h('a', { href: '/' }, 'Keep shopping')),
      );
    },

    login(params) {
      const next = params.get('next') || '/account';
      const signIn = (event) => {
        event.preventDefault();
        const email = new FormData(event.target).get('email');
        const id = userIdFor(String(email));
        write(KEYS.user, { id, email });
        cs.identify(id);
        cs.track('login', { method: 'password' });
        showUser();
        navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/account');
      };
      page(
        'Sign in',
        h(
          'form',
          { id: 'login-form', onsubmit: signIn },
          h('label', {}, 'E-mail ', h('input', { type: 'email', name: 'email', required: true, autocomplete: 'email' })),
          h('label', {}, 'Password ', h('input', { type: 'password', name: 'password', required: true, autocomplete: 'current-password' })),
          h('button', { type: 'submit', id: 'sign-in' }, 'Sign in'),
        ),
        h('p', { class: 'meta' }, 'Any address and password will do: this shop has no accounts.'),
      );
    },

    account() {
      const who = user();
      if (!who) return views.login(new URLSearchParams({ next: '/account' }));
      const signOut = () => {
        write(KEYS.user, null);
        cs.identify('');
        showUser();
        navigate('/');
      };
      const orders = read(KEYS.orders, []);
      page(
        'Your Account',
        h('p', {}, `Signed in as ${who.email}.`),
        h('h2', {}, 'Orders'),
        orders.length
          ? h('ul', {}, orders.map((o) => h('li', {}, `${o.id}: ${money(o.revenue)}`)))
          : h('p', {}, 'No orders yet.'),
        h('button', { type: 'button', class: 'secondary', id: 'sign-out', onclick: signOut }, 'Sign out'),
      );
    },

    missing() {
      page('Page not found', h('p', {}, h('a', { href: '/' }, 'Back to the shop')));
    },
  };

  const route = (url) => {
    document.getElementById('search-input').value = '';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const parts = path.split('/').slice(1).map(decodeURIComponent);
    if (path === '/') return views.home();
    if (parts[0] === 'category' && parts.length === 2) return views.category(parts[1]);
    if (parts[0] === 'product' && parts.length === 2) return views.product(parts[1]);
    if (path === '/deals') return views.deals();
    if (path === '/search') return views.search(url.searchParams);
    if (path === '/cart') return views.cart();
    if (path === '/checkout') return views.checkout();
    if (path === '/checkout/confirmation') return views.confirmation(url.searchParams);
    if (path === '/login') return views.login(url.searchParams);
    if (path === '/account') return views.account();
    return views.missing();
  };

  // In-app navigation: render first, then pushState, so that the tracker's automatic page_view (it follows
  // pushState) carries the new page's title; then what the page reports after its view.
  const navigate = (href) => {
    const url = new URL(href, location.href);
    const after = route(url);
    history.pushState({}, '', url.pathname + url.search);
    window.scrollTo(0, 0);
    if (typeof after === 'function') after();
  };

  const showUser = () => {
    const who = user();
    const link = document.getElementById('account-link');
    link.textContent = who ? 'Your account' : 'Sign in';
    link.setAttribute('href', who ? '/account' : '/login');
  };

  // ---------- consent: the banner decides what the tracker may do (docs/tracker.md, Consent)

  const consentBanner = document.getElementById('consent');
  const decide = (choice) => {
    write(KEYS.consent, choice);
    consentBanner.hidden = true;
    cs.consent(choice);
  };

  const start = async () => {
    try {
      const reply = await fetch('/catalogue.json');
      catalogue = await reply.json();
    } catch {
      main.replaceChildren(h('p', {}, 'The catalogue could not be loaded: reload the page.'));
      return;
    }
    bySlug = new Map(catalogue.products.map((p) => [p.slug, p]));
    byId = new Map(catalogue.products.map((p) => [p.id, p]));
    document
      .getElementById('category-nav')
      .replaceChildren(
        ...catalogue.categories.map((c) => h('a', { href: '/category/' + c.id }, c.title)),
        h('a', { href: '/deals' }, 'Deals'),
      );
    saveCart(cartLines());
    showUser();

    // Links and forms stay in the app. Registered before the tracker's init, so on back/forward this page renders
    // (and sets its title) before the tracker's own popstate listener records the page view.
    document.addEventListener('click', (event) => {
      const link = event.target.closest && event.target.closest('a[href]');
      if (!link || event.defaultPrevented || event.button || event.metaKey || event.ctrlKey || event.shiftKey) return;
      const href = link.getAttribute('href');
      if (href === '#privacy') {
        event.preventDefault();
        consentBanner.hidden = false;
        return;
      }
      const url = new URL(href, location.href);
      if (url.origin !== location.origin) return;
      event.preventDefault();
      navigate(url.pathname + url.search);
    });
    document.getElementById('search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const query = document.getElementById('search-input').value.trim();
      if (!query) return;
      navigate('/search?q=' + encodeURIComponent(query));
      // Reported on the results page, after its page view.
      cs.search(query);
    });
    window.addEventListener('popstate', () => {
      const after = route(new URL(location.href));
      if (typeof after === 'function') after();
    });
    document.getElementById('consent-accept').addEventListener('click', () => decide('granted'));
    document.getElementById('consent-decline').addEventListener('click', () => decide('denied'));

    const after = route(new URL(location.href));
    const consent = read(KEYS.consent, null);
    consentBanner.hidden = consent === 'granted' || consent === 'denied';
    const who = user();
    cs.init({
      endpoint: config.endpoint,
      appId: config.appId,
      consent: consent === 'granted' || consent === 'denied' ? consent : 'pending',
      allowAutomation: config.allowAutomation,
    });
    // identify is not stored by the tracker: every page load of a signed-in visitor says it again.
    if (who) cs.identify(who.id);
    if (typeof after === 'function') after();
  };

  start();
})();
