// Prints, one per line, the JSON bodies of the requests the tracker makes for a visit that uses every method
// (in the fake browser of the unit tests). tests/tracker/test_tracker_wire.py posts them to the real ingest handler.
import { FakeBrowser } from '../test/fake';

const b = new FakeBrowser();
b.href = 'https://shop.example.com/?utm_source=news&utm_medium=email&utm_campaign=spring';
const t = b.tracker({ appId: 'shop-web', batchSize: 4 });
const shoe = { id: 'sku-1', name: 'Trail shoe', category: 'shoes', brand: 'Acme', price: 89.5, discountPrice: 79 };
t.search('trail shoes');
b.navigate('/p/sku-1');
t.page({ template: 'product' });
t.viewProduct(shoe);
t.addToCart(shoe, 2);
t.removeFromCart({ id: 'sku-1' });
t.addToCart({ id: 7 as unknown as string, price: 12 });
t.beginCheckout({ value: 191, currency: 'EUR', items: [shoe] });
t.identify('user-1');
t.track('login', { method: 'password' });
t.purchase({ id: 'o-1', revenue: 191, currency: 'EUR', items: [{ productId: 'sku-1', quantity: 2, price: 79 }] });
t.track('click', { target: 'newsletter', nested: { dropped: true } } as never);
t.track('sign_up');
await t.flush();
for (const sent of b.sent) process.stdout.write(sent.body + '\n');
