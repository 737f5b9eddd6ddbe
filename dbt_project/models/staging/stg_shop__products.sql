-- One row per product of the shop's database: its current price, discount price and cost.
select
    cast(id as {{ dbt.type_string() }}) as product_id,
    cast(name as {{ dbt.type_string() }}) as product_name,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(brand as {{ dbt.type_string() }}) as brand,
    cast(price as {{ dbt.type_numeric() }}) as price,
    cast(discount_price as {{ dbt.type_numeric() }}) as discount_price,
    cast(cost as {{ dbt.type_numeric() }}) as cost,
    upper(cast(currency as {{ dbt.type_string() }})) as currency,
    cast(active as {{ dbt.type_boolean() }}) as is_active,
    {{ shop_utc('updated_at') }} as updated_at
from {{ shop_relation('product', {
    'id': dbt.type_string(), 'name': dbt.type_string(), 'category': dbt.type_string(), 'brand': dbt.type_string(),
    'price': dbt.type_numeric(), 'discount_price': dbt.type_numeric(), 'cost': dbt.type_numeric(),
    'currency': dbt.type_string(), 'active': dbt.type_boolean(), 'updated_at': dbt.type_timestamp()
}) }} as shop_products
