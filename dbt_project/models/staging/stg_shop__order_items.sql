-- One row per order line of the shop's database.
select
    cast(id as {{ dbt.type_string() }}) as order_item_id,
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(product_id as {{ dbt.type_string() }}) as product_id,
    cast(quantity as {{ dbt.type_int() }}) as quantity,
    cast(unit_price as {{ dbt.type_numeric() }}) as unit_price,
    {{ shop_utc('updated_at') }} as updated_at
from {{ shop_relation('order_item', {
    'id': dbt.type_string(), 'order_id': dbt.type_string(), 'product_id': dbt.type_string(),
    'quantity': dbt.type_int(), 'unit_price': dbt.type_numeric(), 'updated_at': dbt.type_timestamp()
}) }} as shop_order_items
