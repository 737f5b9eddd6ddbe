-- One row per refund of the shop's database; only COMPLETED ones take money back (order_reconciliation).
select
    cast(id as {{ dbt.type_string() }}) as refund_id,
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(amount as {{ dbt.type_numeric() }}) as amount,
    upper(cast(status as {{ dbt.type_string() }})) as status,
    {{ shop_utc('created_at') }} as requested_at,
    {{ shop_utc('updated_at') }} as updated_at
from {{ shop_relation('refund', {
    'id': dbt.type_string(), 'order_id': dbt.type_string(), 'amount': dbt.type_numeric(),
    'status': dbt.type_string(), 'created_at': dbt.type_timestamp(), 'updated_at': dbt.type_timestamp()
}) }} as shop_refunds
